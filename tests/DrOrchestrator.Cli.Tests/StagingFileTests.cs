using System.Text;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// Issue 13 item 3: `check` reports staging files a killed process left, with their sizes; the
/// next backup removes those of this host whose process is gone, never a live process's.
/// </summary>
public sealed class StagingFileTests : IDisposable
{
    private readonly CliSandbox _sandbox = new();

    [Fact]
    public async Task Check_reports_leftover_staging_files_and_a_backup_removes_only_those_of_dead_processes()
    {
        var source = Path.Combine(_sandbox.Root, "source");
        Directory.CreateDirectory(source);
        File.WriteAllBytes(Path.Combine(source, "a.bin"), BackupRestoreCommandTests.RandomBytes(300_000, seed: 5));
        await _sandbox.ApplyAndBackUpAsync("p", source);

        var host = HostPart(Environment.MachineName);
        var deadOwner = $".tmp-{host}.{await RealDrorch.DeadProcessIdAsync()}-00112233aabbccdd";
        var liveOwner = $".tmp-{host}.{Environment.ProcessId}-00112233aabbccdd";
        var inSnapshots = "snapshots/.tmp-0011223344556677";
        File.WriteAllBytes(Path.Combine(_sandbox.RepositoryPath, deadOwner), new byte[1000]);
        File.WriteAllBytes(Path.Combine(_sandbox.RepositoryPath, liveOwner), new byte[2000]);
        File.WriteAllBytes(Path.Combine(_sandbox.RepositoryPath, inSnapshots), new byte[3000]);

        var check = await _sandbox.RunAsync("check", "local");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains($"warning: {deadOwner}: staging file of 1000 bytes, last written ", check.Stdout, StringComparison.Ordinal);
        Assert.Contains($"warning: {liveOwner}: staging file of 2000 bytes, last written ", check.Stdout, StringComparison.Ordinal);
        Assert.Contains($"warning: {inSnapshots}: staging file of 3000 bytes, last written ", check.Stdout, StringComparison.Ordinal);
        Assert.Contains("check of local: 0 errors, 3 warnings", check.Stdout, StringComparison.Ordinal);

        File.WriteAllBytes(Path.Combine(source, "b.bin"), BackupRestoreCommandTests.RandomBytes(300_000, seed: 6));
        var backup = await _sandbox.RunAsync("backup", "p");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.False(File.Exists(Path.Combine(_sandbox.RepositoryPath, deadOwner)), "a staging file of a process that is gone is removed when a backup starts staging");
        Assert.True(File.Exists(Path.Combine(_sandbox.RepositoryPath, liveOwner)), "a live process's staging file is never touched");

        var again = await _sandbox.RunAsync("check", "local");
        Assert.DoesNotContain(deadOwner, again.Stdout, StringComparison.Ordinal);
        Assert.Contains("check of local: 0 errors, 2 warnings", again.Stdout, StringComparison.Ordinal);
    }

    public void Dispose() => _sandbox.Dispose();

    // As StagingFileNames writes it: letters and digits kept, anything else '_', at most 32.
    private static string HostPart(string host)
    {
        var text = new StringBuilder();
        foreach (var c in host.Take(32))
        {
            text.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        return text.ToString();
    }
}
