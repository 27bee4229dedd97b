namespace DrOrchestrator.Cli.Tests;

public sealed class QuickstartCommandTests : IDisposable
{
    // Catalog and key under data/, which does not exist yet: quickstart (and only quickstart) creates it.
    private readonly CliSandbox _sandbox = new(settings =>
    {
        settings["RepositoryKey"] = new Dictionary<string, string> { ["File"] = "data/repository.key" };
        settings["Catalog"] = new Dictionary<string, string> { ["Provider"] = "Sqlite", ["ConnectionString"] = "Data Source=data/catalog.db" };
    });

    [Fact]
    public async Task Quickstart_backs_up_twice_restores_and_verifies()
    {
        var run = await _sandbox.RunAsync("quickstart", "--sample-size", "6");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(File.Exists(Path.Combine(_sandbox.Root, "data", "catalog.db")));
        Assert.Contains("Created a new repository key in", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("snapshots        : 2 new", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("all identical", run.Stdout, StringComparison.Ordinal);
        var keyFile = Path.Combine(_sandbox.Root, "data", "repository.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.DoesNotContain(File.ReadAllText(keyFile).Trim(), run.Stdout, StringComparison.Ordinal);

        var again = await _sandbox.RunAsync("quickstart", "--sample-size", "6");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.DoesNotContain("Created a new repository key", again.Stdout, StringComparison.Ordinal);
    }

    public void Dispose() => _sandbox.Dispose();
}
