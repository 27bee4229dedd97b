using System.Diagnostics;
using System.Text.Json;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// The real `drorch` process killed with SIGKILL at random moments of a backup: no partial
/// snapshot may ever become visible, `check --read-data` must stay clean, and the next backup
/// must complete and restore byte for byte.
/// </summary>
public sealed class KillDuringBackupTests : IDisposable
{
    private readonly CliSandbox _sandbox = new(settings =>
        settings["Repository"] = new Dictionary<string, int> { ["PackSize"] = 2 << 20 });

    [Fact]
    public async Task Killing_drorch_mid_backup_never_leaves_a_visible_partial_snapshot()
    {
        var source = Path.Combine(_sandbox.Root, "source");
        Directory.CreateDirectory(source);
        for (var i = 0; i < 40; i++)
        {
            File.WriteAllBytes(Path.Combine(source, $"file-{i:D2}.bin"), BackupRestoreCommandTests.RandomBytes(1_500_000, seed: 1000 + i));
        }

        await _sandbox.ApplyAndBackUpAsync("victim", source);
        var random = new Random(4242);
        var killed = 0;
        var expected = 1;
        var (minDelayMs, maxDelayMs) = (800, 3000);
        // Four rounds; more (up to eight) only while no kill has landed yet: on a fast or idle
        // machine a backup can finish before a fixed delay, so the window then shrinks to what
        // the last uninterrupted backup took.
        for (var attempt = 0; attempt < 4 || (killed == 0 && attempt < 8); attempt++)
        {
            // New content every round, so each backup has ~60 MB of new data in flight when killed.
            for (var i = 0; i < 40; i++)
            {
                File.WriteAllBytes(Path.Combine(source, $"file-{i:D2}.bin"), BackupRestoreCommandTests.RandomBytes(1_500_000, seed: (attempt + 2) * 1000 + i));
            }

            var started = DateTime.Now;
            using var process = StartDrorch("backup", "victim");
            await Task.Delay(random.Next(minDelayMs, maxDelayMs));
            var finishedFirst = process.HasExited;
            if (!finishedFirst)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
            if (finishedFirst)
            {
                var tookMs = (int)(process.ExitTime - started).TotalMilliseconds;
                (minDelayMs, maxDelayMs) = (tookMs / 5, Math.Max((tookMs / 5) + 1, tookMs * 4 / 5));
            }

            var check = await _sandbox.RunAsync("check", "local", "--read-data");
            Assert.True(check.ExitCode == 0, $"after kill #{attempt}: {check}");
            Assert.DoesNotContain("error:", check.Stdout, StringComparison.Ordinal);

            // A kill after the snapshot object was written (e.g. while the catalog is updated)
            // leaves a complete snapshot — allowed; a clean exit must have added exactly one.
            var count = (await SnapshotIdsOnTargetAsync()).Count;
            if (process.ExitCode == 0)
            {
                Assert.Equal(expected + 1, count);
            }
            else
            {
                killed++;
                Assert.InRange(count, expected, expected + 1);
            }

            expected = count;
        }

        Assert.True(killed > 0, "the backup finished before every kill; the test did not interrupt anything");
        var final = await _sandbox.RunAsync("backup", "victim");
        Assert.True(final.ExitCode == 0, final.ToString());
        var destination = Path.Combine(_sandbox.Root, "restored");
        Assert.Equal(0, (await _sandbox.RunAsync("restore", "victim", "--to", destination)).ExitCode);
        BackupRestoreCommandTests.AssertSameTree(source, Path.Combine(destination, "source"));
    }

    public void Dispose() => _sandbox.Dispose();

    private async Task<List<string>> SnapshotIdsOnTargetAsync()
    {
        var run = await _sandbox.RunAsync("snapshots", "--from", "local", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        return [.. json.RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
    }

    private Process StartDrorch(params string[] args)
    {
        var process = RealDrorch.Start(null, new Dictionary<string, string?>
        {
            ["DRORCH_CONFIG"] = _sandbox.ConfigPath,
            [_sandbox.KeyVariable] = Environment.GetEnvironmentVariable(_sandbox.KeyVariable),
        }, args);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
