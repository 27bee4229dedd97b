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
        // Not run through the checkout's ./drorch launcher, so the hint names the installed command.
        Assert.Contains("Next: drorch snapshots quickstart", run.Stdout, StringComparison.Ordinal);
        var keyFile = Path.Combine(_sandbox.Root, "data", "repository.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.DoesNotContain(File.ReadAllText(keyFile).Trim(), run.Stdout, StringComparison.Ordinal);

        var again = await _sandbox.RunAsync("quickstart", "--sample-size", "6");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.DoesNotContain("Created a new repository key", again.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quickstart_with_a_sample_too_small_for_a_log_file_changes_the_readme_and_verifies()
    {
        // 3 MiB is one media clip and no log: the change between the two backups must still happen.
        var run = await _sandbox.RunAsync("quickstart", "--sample-size", "3");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("snapshots        : 2 new", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("all identical", run.Stdout, StringComparison.Ordinal);
        var readme = Path.Combine(_sandbox.Root, "data", "quickstart", "sample", "README.txt");
        Assert.Contains("quickstart change #", File.ReadAllText(readme), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("70000")]
    public async Task Quickstart_refuses_a_sample_size_out_of_range_in_one_line(string size)
    {
        // The real process: the one-line parse error and exit 2 come from Program's ParseErrors.
        var empty = Directory.CreateTempSubdirectory("drorch-quickstart-size-").FullName;
        try
        {
            var run = await RealDrorch.RunAsync(empty, new Dictionary<string, string?>(), "quickstart", "--sample-size", size);

            Assert.Equal(
                (2, "", $"drorch: error: --sample-size: {size} is not between 1 and 65536 (MiB); see `drorch quickstart --help`{Environment.NewLine}"),
                (run.ExitCode, run.Stdout, run.Stderr));
            Assert.Empty(Directory.EnumerateFileSystemEntries(empty));
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    public void Dispose() => _sandbox.Dispose();
}
