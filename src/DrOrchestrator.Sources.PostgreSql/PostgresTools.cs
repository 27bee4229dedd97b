using System.Globalization;
using System.Text.RegularExpressions;
using DrOrchestrator.Core.Sources;

namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>Finds the PostgreSQL client tools and checks they are not older than the server.</summary>
internal sealed partial class PostgresTools(PostgresSourceOptions options)
{
    private const string DebianPackage = "postgresql-client";

    public string Locate(string tool) =>
        ClientTools.Locate([tool], Directories(), searchPath: options.ToolDirectory is null, DebianPackage);

    /// <summary>The major version <c>tool --version</c> reports (e.g. 15).</summary>
    /// <exception cref="SourceFailedException">The tool does not run or prints no version.</exception>
    public static async Task<(int Major, string Text)> VersionAsync(string toolPath, CancellationToken ct)
    {
        var process = ToolProcess.Start(toolPath, ["--version"], new Dictionary<string, string?>(), []);
        await using (process.ConfigureAwait(false))
        {
            using var reader = new StreamReader(process.Output);
            var text = (await reader.ReadToEndAsync(ct).ConfigureAwait(false)).Trim();
            await process.WaitForSuccessAsync($"{Path.GetFileName(toolPath)} --version", ct).ConfigureAwait(false);
            var match = VersionPattern().Match(text);
            return match.Success
                ? (int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[0].Value)
                : throw new SourceFailedException($"{toolPath} --version printed no PostgreSQL version: {text}");
        }
    }

    /// <summary>
    /// pg_dump refuses servers newer than itself, and a dump taken by an older client may miss what
    /// the newer server has: refuse up front with the package to install.
    /// </summary>
    public static void EnsureNotOlder(string tool, int clientMajor, int serverMajor, string source)
    {
        if (clientMajor < serverMajor)
        {
            throw new SourceFailedException(
                $"source {source}: {tool} {clientMajor} is older than the server (PostgreSQL {serverMajor}); install the Debian package {DebianPackage}-{serverMajor} (or set {PostgresSourceOptions.Section}:ToolDirectory)");
        }
    }

    private IEnumerable<string> Directories()
    {
        if (options.ToolDirectory is not null)
        {
            return [options.ToolDirectory];
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out int v) ? v : 0)
                .Select(d => Path.Combine(d, "bin"))
            : [];
    }

    [GeneratedRegex(@"(\d+)(\.\d+)*")]
    private static partial Regex VersionPattern();
}
