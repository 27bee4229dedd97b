using System.Text.Json;
using DrOrchestrator.Core.Prune;
using DrOrchestrator.Orchestration.Runs;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// `drorch prune` end to end: retention listed with its reasons, catalog and repository agree
/// afterwards, and the real process killed with SIGKILL at every step of a prune leaves a
/// repository that checks clean and restores, with the next prune finishing the work.
/// </summary>
public sealed class PruneCommandTests : IDisposable
{
    private readonly CliSandbox _sandbox = new(settings =>
    {
        settings["Repository"] = new Dictionary<string, int> { ["PackSize"] = 1 << 20 };
        settings["Prune"] = new Dictionary<string, string> { ["GracePeriod"] = "00:00:00", ["MaxUnused"] = "10%" };
    });

    private string Source => Path.Combine(_sandbox.Root, "source");

    private int _round;

    [Fact]
    public async Task Dry_run_lists_each_snapshot_with_the_rule_that_keeps_it_and_prune_then_removes_the_others_from_repository_and_catalog()
    {
        await SetUpAsync(keepLast: 2);
        for (var i = 0; i < 3; i++)
        {
            await BackUpChangedAsync();
        }

        var dry = await _sandbox.RunAsync("prune", "p", "--dry-run");

        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains("local: keep 2, would remove 2", dry.Stdout, StringComparison.Ordinal);
        Assert.Contains("keep    (last 1/2)", dry.Stdout, StringComparison.Ordinal);
        Assert.Contains("keep    (last 2/2)", dry.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, dry.Stdout.Split('\n').Count(l => l.EndsWith("  remove", StringComparison.Ordinal)));
        Assert.Contains("dry run: nothing was removed", dry.Stdout, StringComparison.Ordinal);
        Assert.Equal(4, (await RepositorySnapshotIdsAsync()).Count);
        Assert.Equal(4, (await CatalogSnapshotIdsAsync()).Count);

        var prune = await _sandbox.RunAsync("prune", "p", "--json");

        Assert.True(prune.ExitCode == 0, prune.ToString());
        using (var json = JsonDocument.Parse(prune.Stdout))
        {
            var target = json.RootElement.GetProperty("targets")[0];
            Assert.Equal("local", target.GetProperty("target").GetString());
            Assert.Equal(2, target.GetProperty("figures").GetProperty("snapshotsForgotten").GetInt32());
            Assert.True(target.GetProperty("figures").GetProperty("packsDeleted").GetInt32() > 0, prune.Stdout);
        }

        var inRepository = await RepositorySnapshotIdsAsync();
        Assert.Equal(2, inRepository.Count);
        Assert.Equal(inRepository.Order(), (await CatalogSnapshotIdsAsync()).Order());
        await AssertCheckAndRestoreAsync("after prune");
    }

    [Fact]
    public async Task Prune_of_a_target_the_policy_does_not_use_is_invalid_input_naming_it()
    {
        await SetUpAsync(keepLast: 2);

        var run = await _sandbox.RunAsync("prune", "p", "--target", "elsewhere");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--target elsewhere: policy p has no such target (its targets: local)", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Killing_drorch_prune_at_each_of_eight_steps_leaves_a_repository_that_checks_restores_and_is_pruned_by_the_next_run()
    {
        await SetUpAsync(keepLast: 2);
        string[] points =
        [
            PruneCheckpoints.AfterFirstSnapshotForgotten, PruneCheckpoints.AfterRepackFlush, PruneCheckpoints.AfterMarkWritten,
            PruneCheckpoints.AfterMarkRedated, PruneCheckpoints.AfterIndexRewritten, PruneCheckpoints.AfterFirstSupersededIndexDeleted,
            PruneCheckpoints.AfterFirstPackDeleted, PruneCheckpoints.BeforeMarkDeleted,
        ];
        var killed = new List<string>();
        foreach (var point in points)
        {
            // AfterMarkRedated happens only in the prune after one killed between mark and index rewrite: the previous point.
            if (point != PruneCheckpoints.AfterMarkRedated)
            {
                await BackUpChangedAsync();
                await BackUpChangedAsync();
            }

            var run = await RealDrorch.RunAsync(_sandbox, new Dictionary<string, string?> { [CrashTestHook.Variable] = point }, "prune", "p");
            if (run.ExitCode != 0)
            {
                killed.Add(point);
            }

            await AssertCheckAndRestoreAsync($"after a kill at {point}");
            var catalog = await CatalogSnapshotIdsAsync();
            Assert.Subset((await RepositorySnapshotIdsAsync()).ToHashSet(), catalog.ToHashSet());
        }

        Assert.Equal(points, killed);
        var final = await _sandbox.RunAsync("prune", "p", "--json");
        Assert.True(final.ExitCode == 0, final.ToString());
        using var json = JsonDocument.Parse(final.Stdout);
        Assert.Equal(0, json.RootElement.GetProperty("targets")[0].GetProperty("figures").GetProperty("marksPending").GetInt32());
        Assert.Equal(2, (await RepositorySnapshotIdsAsync()).Count);
        Assert.False(Directory.Exists(Path.Combine(_sandbox.RepositoryPath, "deletions")) && Directory.EnumerateFiles(Path.Combine(_sandbox.RepositoryPath, "deletions")).Any());
        await AssertCheckAndRestoreAsync("after the final prune");
    }

    public void Dispose() => _sandbox.Dispose();

    private async Task SetUpAsync(int keepLast)
    {
        Directory.CreateDirectory(Source);
        for (var i = 0; i < 30; i++)
        {
            File.WriteAllBytes(Path.Combine(Source, $"file-{i:D2}.bin"), BackupRestoreCommandTests.RandomBytes(100_000, seed: i));
        }

        var policy = Path.Combine(_sandbox.Root, "p.yaml");
        File.WriteAllText(policy, $$"""
            name: p
            sources:
              - type: files
                paths: ["{{Source}}"]
            targets:
              - name: local
                role: primary
            schedule: { cron: "0 0 2 * * ?", timeZone: Europe/Berlin }
            rpo: 24h
            rto: 1h
            retention: { keepLast: {{keepLast}} }
            """);
        var apply = await _sandbox.RunAsync("policy", "apply", policy);
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var backup = await _sandbox.RunAsync("backup", "p");
        Assert.True(backup.ExitCode == 0, backup.ToString());
    }

    /// <summary>Rewrites 3 of the 30 files (10 %) and backs up.</summary>
    private async Task BackUpChangedAsync()
    {
        _round++;
        for (var k = 0; k < 3; k++)
        {
            var i = ((_round * 3) + k) % 30;
            File.WriteAllBytes(Path.Combine(Source, $"file-{i:D2}.bin"), BackupRestoreCommandTests.RandomBytes(100_000, seed: (_round * 1000) + i));
        }

        var backup = await _sandbox.RunAsync("backup", "p");
        Assert.True(backup.ExitCode == 0, backup.ToString());
    }

    private async Task AssertCheckAndRestoreAsync(string because)
    {
        var check = await _sandbox.RunAsync("check", "local", "--read-data");
        Assert.True(check.ExitCode == 0, $"{because}: {check}");
        Assert.DoesNotContain("error:", check.Stdout, StringComparison.Ordinal);
        var destination = Path.Combine(_sandbox.Root, "restored-" + Guid.NewGuid().ToString("N")[..8]);
        var restore = await _sandbox.RunAsync("restore", "p", "--from", "local", "--to", destination);
        Assert.True(restore.ExitCode == 0, $"{because}: {restore}");
        BackupRestoreCommandTests.AssertSameTree(Source, Path.Combine(destination, "source"));
        Directory.Delete(destination, recursive: true);
    }

    private async Task<List<string>> RepositorySnapshotIdsAsync() => await SnapshotIdsAsync("snapshots", "p", "--from", "local", "--json");

    private async Task<List<string>> CatalogSnapshotIdsAsync() => await SnapshotIdsAsync("snapshots", "p", "--json");

    private async Task<List<string>> SnapshotIdsAsync(params string[] args)
    {
        var run = await _sandbox.RunAsync(args);
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        return [.. json.RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
    }
}
