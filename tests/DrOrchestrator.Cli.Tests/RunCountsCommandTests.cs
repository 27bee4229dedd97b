using System.Diagnostics;
using System.Text.Json;

namespace DrOrchestrator.Cli.Tests;

/// <summary>A run's warnings and errors are counted and listed alike in the summary, --json and the catalog.</summary>
public sealed class RunCountsCommandTests : IDisposable
{
    private readonly CliSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task A_skipped_fifo_is_one_warning_everywhere_and_not_a_file()
    {
        var source = Path.Combine(_sandbox.Root, "source");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "a.txt"), "alpha\n");
        File.WriteAllBytes(Path.Combine(source, "b.bin"), BackupRestoreCommandTests.RandomBytes(5000, seed: 3));
        var fifo = Path.Combine(source, "pipe");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var apply = await _sandbox.RunAsync("policy", "apply", _sandbox.WritePolicy("counts", source));
        Assert.True(apply.ExitCode == 0, apply.ToString());

        var backup = await _sandbox.RunAsync("backup", "counts", "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        const string Skipped = "skipped: sockets, FIFOs and devices are not backed up";
        Assert.Contains($"drorch: warning: {fifo}: {Skipped}", backup.Stderr, StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(backup.Stdout))
        {
            var warning = Assert.Single(json.RootElement.GetProperty("warnings").EnumerateArray());
            Assert.Equal((fifo, Skipped), (warning.GetProperty("path").GetString(), warning.GetProperty("message").GetString()));
            Assert.Empty(json.RootElement.GetProperty("errors").EnumerateArray());
            var snapshot = Assert.Single(json.RootElement.GetProperty("snapshots").EnumerateArray());
            Assert.Equal((2L, 5006L), (snapshot.GetProperty("files").GetInt64(), snapshot.GetProperty("totalBytes").GetInt64()));
        }

        var text = await _sandbox.RunAsync("backup", "counts");
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("  issues: 1 warning, 0 errors (listed above; errors are not in the snapshot)", text.Stdout, StringComparison.Ordinal);

        Assert.Equal(
            [$"run files=2 warnings=1 | {fifo}: {Skipped} warning=1", $"run files=2 warnings=1 | {fifo}: {Skipped} warning=1"],
            CatalogRuns());
    }

    /// <summary>Each backup run's figures and its listed issues, as the catalog holds them.</summary>
    private List<string> CatalogRuns()
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_sandbox.CatalogPath};Pooling=False");
        connection.Open();
        using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT r."Files", r."WarningsCount", e."Path", e."Message", e."IsWarning"
            FROM "Runs" r LEFT JOIN "RunErrors" e ON e."RunId" = r."Id" WHERE r."Kind" = 'backup' ORDER BY r."Id", e."Id"
            """;
        using var reader = query.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add($"run files={reader.GetInt64(0)} warnings={reader.GetInt32(1)} | {reader.GetString(2)}: {reader.GetString(3)} warning={reader.GetInt32(4)}");
        }

        return rows;
    }
}
