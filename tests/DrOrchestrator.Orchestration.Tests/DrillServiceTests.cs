using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Check;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Check;
using DrOrchestrator.Orchestration.Drill;
using DrOrchestrator.Orchestration.Policies;

namespace DrOrchestrator.Orchestration.Tests;

/// <summary>
/// The drill use case on in-memory targets: a healthy snapshot passes on every target with the
/// achieved RTO recorded; a flipped byte in one pack of one target fails that target's drill and
/// names exactly the files in that pack while the other target passes; a 1 ms RTO target is
/// passed-over-rto; sandboxes never stay behind; a sampled drill rotates through every file.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DrillServiceTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private OrchestrationSandbox _sandbox = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await OrchestrationSandbox.CreateAsync();
        await _sandbox.Get<PolicyApplyService>().ApplyAsync(_sandbox.WritePolicy("web"), None);
    }

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task A_healthy_snapshot_passes_on_every_target_and_the_catalog_records_the_achieved_rto()
    {
        var backup = await _sandbox.Get<PolicyBackupService>().BackupAsync("web", null, None);
        var snapshotId = backup.Results[0].Snapshot.Id;
        var sourceBytes = Directory.EnumerateFiles(_sandbox.Source, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

        var outcomes = await _sandbox.Get<DrillService>().DrillAsync(new DrillRequest("web"), null, None);

        Assert.Equal(["main", "offsite"], outcomes.Select(o => o.Target));
        Assert.All(outcomes, o =>
        {
            Assert.Equal((DrillOutcome.Passed, snapshotId, 4L, 4L, sourceBytes), (o.Outcome, o.SnapshotId, o.FilesExpected, o.FilesVerified, o.BytesRestored));
            Assert.Empty(o.Mismatches);
            Assert.InRange(o.RtoAchieved, o.RestoreTime, TimeSpan.FromMinutes(5));
        });
        var drills = await _sandbox.Catalog.ListDrillsAsync("web", None);
        Assert.Equal(["main", "offsite"], drills.Select(d => d.TargetName).Order());
        foreach (var drill in drills)
        {
            var outcome = outcomes.Single(o => o.RunId == drill.RunId);
            Assert.Equal((outcome.Target, DrillOutcome.Passed, snapshotId, 4L, sourceBytes, 0L), (drill.TargetName, drill.Outcome, drill.SnapshotId, drill.FilesVerified, drill.BytesRestored, drill.Mismatches));
            Assert.Equal(TimeSpan.FromHours(1), drill.RtoTarget);
            Assert.True(drill.RtoAchieved > TimeSpan.Zero && Math.Abs((drill.RtoAchieved - outcome.RtoAchieved).TotalMilliseconds) < 1, $"{drill.RtoAchieved} vs {outcome.RtoAchieved}");
            var run = await _sandbox.Catalog.GetRunAsync(drill.RunId, None);
            Assert.Equal((RunKind.Drill, RunStatus.Succeeded, "web", outcome.Target, snapshotId), (run!.Kind, run.Status, run.PolicyName, run.TargetName, run.Figures.SnapshotId));
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(_sandbox.DrillRoot));
    }

    [Fact]
    public async Task A_flipped_byte_in_one_pack_of_the_replica_fails_its_drill_naming_exactly_the_files_in_that_pack_while_the_primary_passes()
    {
        var backup = await _sandbox.Get<PolicyBackupService>().BackupAsync("web", null, None);
        var offsite = _sandbox.Targets["offsite"];
        var packKey = offsite.Keys.Where(k => k.StartsWith("data/", StringComparison.Ordinal)).MaxBy(k => offsite[k].Length)!;
        var damaged = offsite[packKey].ToArray();
        damaged[damaged.Length / 2] ^= 0x01;
        offsite[packKey] = damaged;
        // What the checker says lives in the damaged pack: exactly the files the drill must name.
        var findings = await _sandbox.Get<TargetCheckService>().CheckAsync("offsite", readData: true, None).ToListAsync();
        var affected = findings.Where(f => f.Severity == CheckSeverity.Error).SelectMany(f => f.AffectedFiles).Select(f => f[(f.IndexOf(':', StringComparison.Ordinal) + 1)..]).ToHashSet();
        Assert.Contains("source/docs/large.bin", affected);

        var outcomes = await _sandbox.Get<DrillService>().DrillAsync(new DrillRequest("web"), null, None);

        var main = outcomes.Single(o => o.Target == "main");
        Assert.Equal((DrillOutcome.Passed, 4L), (main.Outcome, main.FilesVerified));
        var failed = outcomes.Single(o => o.Target == "offsite");
        Assert.Equal(DrillOutcome.Failed, failed.Outcome);
        Assert.Equal(affected.Order(StringComparer.Ordinal), failed.Mismatches.Select(m => m.Path));
        Assert.Equal(4L - affected.Count, failed.FilesVerified);
        var recorded = await _sandbox.Catalog.ListDrillMismatchesAsync(failed.RunId, None);
        Assert.Equal(failed.Mismatches, recorded);
        var large = recorded.Single(m => m.Path == "source/docs/large.bin");
        Assert.Equal(OrchestrationSandbox.Hashes(_sandbox.Source)["docs/large.bin"].ToLowerInvariant(), large.Expected);
        Assert.StartsWith("not restored: ", large.Reason, StringComparison.Ordinal);
        var drills = await _sandbox.Catalog.ListDrillsAsync("web", None);
        Assert.Equal(DrillOutcome.Failed, drills.Single(d => d.TargetName == "offsite").Outcome);
        Assert.Equal(DrillOutcome.Passed, drills.Single(d => d.TargetName == "main").Outcome);
        var run = await _sandbox.Catalog.GetRunAsync(failed.RunId, None);
        Assert.Equal(RunStatus.Failed, run!.Status);
        Assert.Contains(run.Errors, e => e.Path == "source/docs/large.bin");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_sandbox.DrillRoot));
    }

    [Fact]
    public async Task A_one_millisecond_rto_target_is_recorded_passed_over_rto()
    {
        await _sandbox.Get<PolicyBackupService>().BackupAsync("web", null, None);
        var policy = (await _sandbox.Catalog.GetPolicyAsync("web", None))!.ToPolicy() with { Rto = TimeSpan.FromMilliseconds(1) };

        var outcome = Assert.Single(await _sandbox.Get<DrillService>().DrillAsync(policy, new DrillRequest("web") { FromTarget = "main" }, null, None));

        Assert.Equal((DrillOutcome.PassedOverRto, 4L), (outcome.Outcome, outcome.FilesVerified));
        var drill = Assert.Single(await _sandbox.Catalog.ListDrillsAsync("web", None));
        Assert.Equal((DrillOutcome.PassedOverRto, "main", TimeSpan.FromMilliseconds(1)), (drill.Outcome, drill.TargetName, drill.RtoTarget));
        Assert.True(drill.RtoAchieved > TimeSpan.FromMilliseconds(1), drill.RtoAchieved.ToString());
        Assert.Equal(RunStatus.Degraded, (await _sandbox.Catalog.GetRunAsync(outcome.RunId, None))!.Status);
    }

    [Fact]
    public async Task A_leftover_sandbox_of_a_dead_process_is_removed_and_a_live_one_is_kept()
    {
        await _sandbox.Get<PolicyBackupService>().BackupAsync("web", null, None);
        var deadPid = await DeadProcessIdAsync();
        var dead = Path.Combine(_sandbox.DrillRoot, $"drill-{deadPid}-{DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds()}-0badc0de");
        Directory.CreateDirectory(Path.Combine(dead, "source", "locked"));
        File.WriteAllText(Path.Combine(dead, "source", "locked", "file.txt"), "left by a killed drill");
        File.SetUnixFileMode(Path.Combine(dead, "source", "locked"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var self = RunProcess.Current;
        var live = Path.Combine(_sandbox.DrillRoot, $"drill-{self.ProcessId}-{self.StartedAt.ToUnixTimeMilliseconds()}-5afe5afe");
        Directory.CreateDirectory(live);

        var outcome = Assert.Single(await _sandbox.Get<DrillService>().DrillAsync(new DrillRequest("web") { FromTarget = "main" }, null, None));

        Assert.Equal(DrillOutcome.Passed, outcome.Outcome);
        Assert.False(Directory.Exists(dead));
        Assert.Equal([live], Directory.EnumerateFileSystemEntries(_sandbox.DrillRoot));
    }

    [Fact]
    public async Task A_cancelled_drill_leaves_no_sandbox_and_records_the_run_as_cancelled()
    {
        await _sandbox.Get<PolicyBackupService>().BackupAsync("web", null, None);
        using var cancellation = new CancellationTokenSource();
        var progress = new CancelOnFirstReport(cancellation);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _sandbox.Get<DrillService>().DrillAsync(new DrillRequest("web") { FromTarget = "main" }, progress, cancellation.Token));

        Assert.True(progress.Reported);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_sandbox.DrillRoot));
        var run = Assert.Single(await _sandbox.Catalog.ListRunsAsync("web", 10, None), r => r.Kind == RunKind.Drill);
        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Empty(await _sandbox.Catalog.ListDrillsAsync("web", None));
    }

    [Fact]
    public async Task Sampled_drills_rotate_through_every_file_and_the_catalog_keeps_when_each_was_verified()
    {
        await _sandbox.Get<PolicyBackupService>().BackupAsync("web", null, None);
        var drill = _sandbox.Get<DrillService>();
        var request = new DrillRequest("web") { FromTarget = "offsite", Sample = new DrillSample(2, null) };

        var first = Assert.Single(await drill.DrillAsync(request, null, None));
        var afterFirst = await _sandbox.Catalog.GetDrillFileStatesAsync("web", "offsite", None);
        var second = Assert.Single(await drill.DrillAsync(request, null, None));
        var afterSecond = await _sandbox.Catalog.GetDrillFileStatesAsync("web", "offsite", None);

        Assert.Equal((DrillOutcome.Passed, 2L, 2L, 4L), (first.Outcome, first.FilesExpected, first.FilesVerified, first.FilesInSnapshot));
        Assert.Equal((DrillOutcome.Passed, 2L, 2L), (second.Outcome, second.FilesExpected, second.FilesVerified));
        string[] all = ["source/docs/deep/notes.txt", "source/docs/large.bin", "source/empty.bin", "source/readme.txt"];
        Assert.Equal(all, afterFirst.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(2, afterFirst.Values.Count(s => s.VerifiedAt is not null));
        // The second sample took the two the first did not: every file is now verified.
        Assert.All(afterSecond.Values, s => Assert.NotNull(s.VerifiedAt));
        var firstVerified = afterFirst.Where(s => s.Value.VerifiedAt is not null).Select(s => s.Key).ToHashSet();
        Assert.All(firstVerified, path => Assert.Equal(afterFirst[path].VerifiedAt, afterSecond[path].VerifiedAt));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_sandbox.DrillRoot));
    }

    private static async Task<int> DeadProcessIdAsync()
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        return process.Id;
    }

    private sealed class CancelOnFirstReport(CancellationTokenSource cancellation) : IProgress<Contracts.ProgressSample>
    {
        public bool Reported { get; private set; }

        public void Report(Contracts.ProgressSample value)
        {
            Reported = true;
            cancellation.Cancel();
        }
    }
}
