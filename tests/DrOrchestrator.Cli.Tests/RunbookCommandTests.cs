namespace DrOrchestrator.Cli.Tests;

/// <summary>`drorch runbook`: the incident page names where the data is and what unlocks it, and its restore command works — with and without the catalog.</summary>
public sealed class RunbookCommandTests : IDisposable
{
    private readonly CliSandbox _sandbox = new();

    [Fact]
    public async Task The_runbook_restore_command_works_and_the_page_can_be_rebuilt_from_the_target_once_the_catalog_is_gone()
    {
        var source = Path.Combine(_sandbox.Root, "source");
        Directory.CreateDirectory(source);
        File.WriteAllBytes(Path.Combine(source, "ledger.bin"), BackupRestoreCommandTests.RandomBytes(300_000, seed: 7));
        await _sandbox.ApplyAndBackUpAsync("p", source);
        var snapshot = (await _sandbox.RunAsync("snapshots", "p")).Stdout.Split('\n')[1][..8];

        var page = await _sandbox.RunAsync("runbook", "p");

        Assert.True(page.ExitCode == 0, page.ToString());
        Assert.Contains("# Runbook: policy p", page.Stdout, StringComparison.Ordinal);
        Assert.Contains("| local | primary | local | local:", page.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{_sandbox.RepositoryPath}", page.Stdout, StringComparison.Ordinal);
        Assert.Contains($"| environment variable {_sandbox.KeyVariable} |", page.Stdout, StringComparison.Ordinal);
        Assert.Contains($"- `{_sandbox.KeyVariable}`", page.Stdout, StringComparison.Ordinal);
        Assert.Contains("predicted restore time: not known (no drill measured from this target yet)", page.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Environment.GetEnvironmentVariable(_sandbox.KeyVariable)!, page.Stdout, StringComparison.Ordinal);
        var command = $"drorch restore p --from local --snapshot {snapshot} --to /restore/p";
        Assert.Contains(command, page.Stdout, StringComparison.Ordinal);

        var destination = Path.Combine(_sandbox.Root, "restored");
        var restore = await _sandbox.RunAsync([.. command.Split(' ')[1..^1], destination]);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        BackupRestoreCommandTests.AssertSameTree(source, Path.Combine(destination, "source"));

        File.Delete(_sandbox.CatalogPath);
        var fromTarget = await _sandbox.RunAsync("runbook", "p", "--from", "local");

        Assert.True(fromTarget.ExitCode == 0, fromTarget.ToString());
        Assert.Contains("from the target local", fromTarget.Stdout, StringComparison.Ordinal);
        Assert.Contains(command, fromTarget.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(_sandbox.CatalogPath), "runbook --from must not create a catalog");
    }

    public void Dispose() => _sandbox.Dispose();
}
