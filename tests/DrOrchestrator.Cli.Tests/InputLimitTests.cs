using System.Text;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// Issue 13 item 4: bounded inputs. Every limit ends in a `file:line: field: message` line and
/// exit 2, over the real binary (a stack overflow would take an in-process test host down with it).
/// </summary>
public sealed class InputLimitTests : IDisposable
{
    private const string Valid = """
        name: p
        description: fine
        sources: [ { type: files, paths: ["/srv/data"] } ]
        targets: [ { name: local, role: primary } ]
        schedule: { cron: "0 0 2 * * ?" }
        rpo: 24h
        rto: 1h
        """;

    private readonly CliSandbox _sandbox = new();

    [Fact]
    public async Task A_policy_nested_30000_levels_deep_is_one_error_line_not_a_stack_overflow()
    {
        var file = Write("deep.yaml", Valid.Replace("description: fine", "description: " + new string('[', 30_000) + new string(']', 30_000), StringComparison.Ordinal));

        var run = await ValidateAsync(file);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"drorch: error: {file}:2: nested deeper than 32 levels (a policy needs at most 4)", run.Stderr.Trim());
    }

    [Fact]
    public async Task A_policy_file_over_one_MiB_is_refused_before_parsing()
    {
        var file = Write("big.yaml", Valid + "\n# " + new string('x', 1 << 20) + "\n");

        var run = await ValidateAsync(file);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"drorch: error: {file}: file is {new FileInfo(file).Length} bytes; policy files are limited to 1048576", run.Stderr.Trim());
    }

    [Fact]
    public async Task A_description_longer_than_1000_characters_is_refused()
    {
        var file = Write("long.yaml", Valid.Replace("description: fine", "description: " + new string('d', 1001), StringComparison.Ordinal));

        var run = await ValidateAsync(file);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"drorch: error: {file}:2: description: is 1001 characters long; at most 1000 are allowed", run.Stderr.Trim());
    }

    [Fact]
    public async Task A_text_value_longer_than_4096_characters_is_refused_without_echoing_it()
    {
        var path = "/srv/" + new string('p', 5000);
        var file = Write("path.yaml", Valid.Replace("/srv/data", path, StringComparison.Ordinal));

        var run = await ValidateAsync(file);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"drorch: error: {file}:3: sources[0].paths[0]: is 5005 characters long; at most 4096 are allowed", run.Stderr.Trim());
    }

    [Fact]
    public async Task A_duration_over_ten_years_is_refused()
    {
        var file = Write("rpo.yaml", Valid.Replace("rpo: 24h", "rpo: 99999999999s", StringComparison.Ordinal));

        var run = await ValidateAsync(file);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"drorch: error: {file}:6: rpo: '99999999999s' is longer than 3650d (10 years), the longest duration allowed", run.Stderr.Trim());
    }

    [Fact]
    public async Task A_file_of_many_problems_prints_20_lines_then_how_many_more()
    {
        var text = new StringBuilder(Valid).Append('\n');
        for (var i = 0; i < 500; i++)
        {
            text.Append("unknown").Append(i).Append(": 1\n");
        }

        var file = Write("keys.yaml", text.ToString());

        var run = await ValidateAsync(file);

        Assert.Equal(2, run.ExitCode);
        var lines = run.Stderr.TrimEnd().Split('\n');
        Assert.Equal(21, lines.Length);
        Assert.Equal($"drorch: error: {file}:8: unknown0: unknown key", lines[0]);
        Assert.Equal($"drorch: error: {file}:27: unknown19: unknown key", lines[19]);
        Assert.Equal("drorch: error: … and 480 more", lines[20]);
    }

    [Fact]
    public async Task A_configuration_nested_too_deep_is_one_error_line()
    {
        var config = File.ReadAllText(_sandbox.ConfigPath);
        File.WriteAllText(_sandbox.ConfigPath, config[..^1] + ",\"Deep\":" + new string('[', 30_000) + new string(']', 30_000) + "}");

        var run = await RealDrorch.RunAsync(_sandbox, null, "policy", "list");

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"drorch: error: {_sandbox.ConfigPath}: not valid JSON: The maximum configured depth of 64 has been exceeded.", run.Stderr, StringComparison.Ordinal);
        Assert.Single(run.Stderr.TrimEnd().Split('\n'));
        Assert.False(File.Exists(_sandbox.CatalogPath));
    }

    [Fact]
    public async Task A_configuration_file_over_one_MiB_is_refused()
    {
        var config = File.ReadAllText(_sandbox.ConfigPath);
        File.WriteAllText(_sandbox.ConfigPath, config[..^1] + ",\"Padding\":\"" + new string('x', 1 << 20) + "\"}");

        var run = await RealDrorch.RunAsync(_sandbox, null, "policy", "list");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"drorch: error: {_sandbox.ConfigPath}: file is {new FileInfo(_sandbox.ConfigPath).Length} bytes; configuration files are limited to 1048576", run.Stderr.Trim());
        Assert.False(File.Exists(_sandbox.CatalogPath));
    }

    public void Dispose() => _sandbox.Dispose();

    private string Write(string name, string text)
    {
        var path = Path.Combine(_sandbox.Root, name);
        File.WriteAllText(path, text);
        return path;
    }

    private Task<CliRun> ValidateAsync(string file) => RealDrorch.RunAsync(_sandbox, null, "policy", "validate", file);
}
