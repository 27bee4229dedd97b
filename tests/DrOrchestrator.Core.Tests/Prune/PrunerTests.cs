using DrOrchestrator.Core.Prune;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Testing;
using Xunit.Abstractions;

namespace DrOrchestrator.Core.Tests.Prune;

public sealed class PrunerTests(ITestOutputHelper output)
{
    private static readonly PruneOptions Immediate = new() { GracePeriod = TimeSpan.Zero, MaxUnused = 0.10 };

    /// <summary>Thrown by a checkpoint to stop prune dead at that step, as a kill would.</summary>
    private sealed class SimulatedCrashException(string point) : Exception($"crash at {point}");

    private static async Task<List<Snapshot>> BackUpRunsAsync(PruneScenario scenario, int runs)
    {
        await scenario.InitAsync();
        var snapshots = new List<Snapshot>();
        for (var i = 0; i < runs; i++)
        {
            snapshots.Add(await scenario.BackUpNextAsync(snapshots.LastOrDefault()));
        }

        return snapshots;
    }

    [Fact]
    public async Task Keep_last_3_of_20_runs_changing_10_percent_shrinks_the_repository_to_within_1_2_times_a_fresh_backup_of_the_kept_snapshots()
    {
        using var scenario = new PruneScenario();
        var snapshots = await BackUpRunsAsync(scenario, 20);
        var before = scenario.PackBytes();

        var report = await scenario.PruneAsync(keepLast: 3, Immediate);

        Assert.Equal(17, report.SnapshotsForgotten);
        Assert.True(report.PacksDeleted > 0, report.ToString());
        Assert.Equal(0, report.MarksPending);
        Assert.Equal(scenario.PackBytes(), report.PackBytesAfter);
        var kept = await (await scenario.OpenAsync()).ListSnapshotsAsync(CancellationToken.None);
        Assert.Equal(snapshots.TakeLast(3).Select(s => s.Id), kept.Select(s => s.Id));
        await scenario.AssertCheckPassesAsync("after prune");
        Assert.Equal(3, await scenario.AssertEverySnapshotRestoresAsync("after prune"));

        // The same three trees backed up into a new repository: the size prune must come close to.
        using var fresh = new PruneScenario();
        await fresh.InitAsync();
        var freshRepo = await fresh.OpenAsync();
        using var restored = new TempDir();
        Snapshot? parent = null;
        foreach (var snapshot in kept)
        {
            var tree = restored.Sub(snapshot.ShortId);
            Assert.Empty((await TestSupport.RestoreAsync(await scenario.OpenAsync(), snapshot, tree)).Failures);
            parent = (await TestSupport.BackupAsync(await fresh.OpenAsync(), Path.Combine(tree, "src"), parent)).Snapshot;
        }

        var after = scenario.PackBytes();
        var freshBytes = fresh.PackBytes();
        output.WriteLine($"packs: history {before} bytes, after prune {after}, fresh backup of the kept snapshots {freshBytes} ({(double)after / freshBytes:0.000}x)");
        Assert.True(after <= freshBytes * 1.2, $"pruned {after} bytes (from {before}), a fresh backup of the kept snapshots {freshBytes}");
        Assert.True(before > freshBytes * 2, $"the history ({before}) must be much larger than what is kept ({freshBytes}) for the test to mean anything");

        var again = await scenario.PruneAsync(keepLast: 3, Immediate);
        Assert.Equal((0, 0, 0), (again.SnapshotsForgotten, again.PacksMarked, again.PacksDeleted));
    }

    public static TheoryData<string> CrashPoints() =>
    [
        PruneCheckpoints.AfterFirstSnapshotForgotten, PruneCheckpoints.AfterRepackFlush, PruneCheckpoints.AfterMarkWritten,
        PruneCheckpoints.AfterIndexRewritten, PruneCheckpoints.AfterFirstSupersededIndexDeleted,
        PruneCheckpoints.AfterFirstPackDeleted, PruneCheckpoints.BeforeMarkDeleted,
    ];

    [Theory]
    [MemberData(nameof(CrashPoints))]
    public async Task A_prune_stopped_dead_at_any_step_leaves_a_repository_that_checks_restores_and_is_finished_by_the_next_prune(string point)
    {
        using var scenario = new PruneScenario();
        var snapshots = await BackUpRunsAsync(scenario, 8);
        // MaxUnused 0: every partly used pack is repacked, so the repack steps are reached too.
        var crashing = Immediate with { MaxUnused = 0, Checkpoint = p => { if (p == point) { throw new SimulatedCrashException(p); } } };

        await Assert.ThrowsAsync<SimulatedCrashException>(() => scenario.PruneAsync(keepLast: 3, crashing));

        await AssertConsistentAsync(scenario, snapshots, $"after a crash at {point}");
        var next = await scenario.PruneAsync(keepLast: 3, Immediate);
        Assert.Equal(0, next.MarksPending);
        await AssertConsistentAsync(scenario, snapshots, $"after the prune following a crash at {point}");
        Assert.Equal(3, (await (await scenario.OpenAsync()).ListSnapshotsAsync(CancellationToken.None)).Count);
        var settled = await scenario.PruneAsync(keepLast: 3, Immediate);
        Assert.Equal((0, 0), (settled.PacksMarked, settled.PacksDeleted));
        Assert.DoesNotContain(scenario.Store.Keys, k => k.StartsWith("deletions/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_mark_interrupted_before_its_packs_left_the_indexes_is_completed_and_redated_by_the_next_prune()
    {
        using var scenario = new PruneScenario();
        var snapshots = await BackUpRunsAsync(scenario, 8);
        var clock = new ManualClock(DateTimeOffset.UtcNow.AddHours(2));
        var options = new PruneOptions { GracePeriod = TimeSpan.FromHours(1), Clock = clock };
        await Assert.ThrowsAsync<SimulatedCrashException>(() => scenario.PruneAsync(3, options with
        {
            Checkpoint = p => { if (p == PruneCheckpoints.AfterMarkWritten) { throw new SimulatedCrashException(p); } },
        }));
        var firstMark = Assert.Single(scenario.Store.Keys, k => k.StartsWith("deletions/", StringComparison.Ordinal));

        clock.Now += TimeSpan.FromMinutes(30);
        await Assert.ThrowsAsync<SimulatedCrashException>(() => scenario.PruneAsync(3, options with
        {
            Checkpoint = p => { if (p == PruneCheckpoints.AfterMarkRedated) { throw new SimulatedCrashException(p); } },
        }));
        await AssertConsistentAsync(scenario, snapshots, "after a crash while redating");

        // The redated mark's grace period runs from the redating: 45 minutes later nothing is deleted yet.
        var waiting = await scenario.PruneAsync(3, options);
        Assert.DoesNotContain(firstMark, scenario.Store.Keys);
        Assert.Equal(0, waiting.PacksDeleted);
        clock.Now += TimeSpan.FromMinutes(45);
        Assert.Equal(0, (await scenario.PruneAsync(3, options)).PacksDeleted);
        clock.Now += TimeSpan.FromMinutes(30);
        var swept = await scenario.PruneAsync(3, options);
        Assert.True(swept.PacksDeleted > 0, swept.ToString());
        Assert.Equal(0, swept.MarksPending);
        await AssertConsistentAsync(scenario, snapshots, "after the sweep");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_snapshot_that_uses_marked_packs_written_by_a_backup_started_before_the_mark_keeps_them(bool crashAfterReindex)
    {
        using var scenario = new PruneScenario();
        await scenario.InitAsync();
        var first = await scenario.BackUpNextAsync();
        // A backup that opened the repository (and its index) before prune marked anything.
        var early = await scenario.OpenAsync();
        var clock = new ManualClock(DateTimeOffset.UtcNow.AddHours(2));
        var options = new PruneOptions { GracePeriod = TimeSpan.FromHours(1), Clock = clock };

        var marking = await new Pruner().PruneAsync(await scenario.OpenAsync(), [first.Id], options, CancellationToken.None);
        Assert.True(marking.PacksMarked > 0 && marking.PacksDeleted == 0 && marking.MarksPending == 1, marking.ToString());
        Assert.Empty(await (await scenario.OpenAsync()).ListSnapshotsAsync(CancellationToken.None));

        // It finishes now, deduplicating every blob against what its index said at its start.
        var late = (await TestSupport.BackupAsync(early, scenario.Source)).Snapshot;
        Assert.Equal(0, late.Summary.ChunksNew);
        scenario.Expected[late.Id] = PruneScenario.CurrentHashes(scenario.Source);

        clock.Now += TimeSpan.FromHours(2);
        if (crashAfterReindex)
        {
            await Assert.ThrowsAsync<SimulatedCrashException>(() => new Pruner().PruneAsync(scenario.OpenAsync().Result, [], options with
            {
                Checkpoint = p => { if (p == PruneCheckpoints.AfterSweepReindex) { throw new SimulatedCrashException(p); } },
            }, CancellationToken.None));
            await scenario.AssertCheckPassesAsync("after a crash right after re-indexing");
        }

        var sweep = await new Pruner().PruneAsync(await scenario.OpenAsync(), [], options, CancellationToken.None);
        Assert.Equal(0, sweep.PacksDeleted);
        Assert.Equal(marking.PacksMarked, sweep.PacksSpared);
        Assert.Equal(0, sweep.MarksPending);
        await scenario.AssertCheckPassesAsync("after the sweep");
        Assert.Equal(1, await scenario.AssertEverySnapshotRestoresAsync("after the sweep"));
    }

    [Fact]
    public async Task Prunes_running_while_24_backups_of_a_changing_tree_run_lose_nothing_and_fail_no_backup()
    {
        using var scenario = new PruneScenario();
        await scenario.InitAsync();
        var options = new PruneOptions { GracePeriod = TimeSpan.FromSeconds(3), MaxUnused = 0.10 };
        using var backupsDone = new CancellationTokenSource();
        var backups = Task.Run(async () =>
        {
            try
            {
                Snapshot? parent = null;
                for (var i = 0; i < 24; i++)
                {
                    parent = await scenario.BackUpNextAsync(parent);
                    await Task.Delay(150);
                }
            }
            finally
            {
                await backupsDone.CancelAsync();
            }
        });
        var reports = new List<PruneReport>();
        while (!backupsDone.IsCancellationRequested)
        {
            reports.Add(await scenario.PruneAsync(keepLast: 3, options));
            await Task.Delay(100);
        }

        await backups; // rethrows a failed backup
        await Task.Delay(options.GracePeriod + TimeSpan.FromSeconds(0.5));
        reports.Add(await scenario.PruneAsync(keepLast: 3, options));
        await Task.Delay(options.GracePeriod + TimeSpan.FromSeconds(0.5));
        reports.Add(await scenario.PruneAsync(keepLast: 3, options));

        Assert.True(reports.Count >= 4, $"only {reports.Count} prunes ran");
        Assert.Equal(21, reports.Sum(r => r.SnapshotsForgotten));
        Assert.True(reports.Sum(r => r.PacksDeleted) > 0, "no pack was ever deleted: the test exercised nothing");
        await scenario.AssertCheckPassesAsync("after concurrent prunes");
        Assert.Equal(3, await scenario.AssertEverySnapshotRestoresAsync("after concurrent prunes"));
    }

    [Fact]
    public async Task A_snapshot_committed_between_the_mark_and_the_sweep_of_the_same_prune_keeps_the_packs_it_uses()
    {
        using var scenario = new PruneScenario();
        await scenario.InitAsync();
        var first = await scenario.BackUpNextAsync();
        // A backup that opened the repository (and its index) before prune marked anything...
        var early = await scenario.OpenAsync();
        Snapshot? late = null;
        var options = Immediate with
        {
            Checkpoint = p =>
            {
                if (p == PruneCheckpoints.AfterFirstSupersededIndexDeleted)
                {
                    // ...commits after the mark, before this same prune's sweep re-checks: the
                    // re-check walks only snapshots the mark's scan did not, and must walk this one.
                    late = Task.Run(() => TestSupport.BackupAsync(early, scenario.Source)).GetAwaiter().GetResult().Snapshot;
                }
            },
        };

        var report = await new Pruner().PruneAsync(await scenario.OpenAsync(), [first.Id], options, CancellationToken.None);

        Assert.NotNull(late);
        Assert.Equal(0, late.Summary.ChunksNew);
        scenario.Expected[late.Id] = PruneScenario.CurrentHashes(scenario.Source);
        Assert.True(report.PacksMarked > 0, report.ToString());
        Assert.Equal((0, report.PacksMarked, 0), (report.PacksDeleted, report.PacksSpared, report.MarksPending));
        await scenario.AssertCheckPassesAsync("after the sweep");
        Assert.Equal(1, await scenario.AssertEverySnapshotRestoresAsync("after the sweep"));
    }

    [Fact]
    public async Task MaxUnused_is_a_budget_for_the_whole_repository_as_restic_has_it_emptiest_packs_repacked_first()
    {
        var results = new Dictionary<double, (PruneReport Report, long Used, long Unused)>();
        foreach (var maxUnused in new[] { 0.0, 0.10, 0.30, 1.0 })
        {
            using var scenario = new PruneScenario();
            await scenario.InitAsync();
            Snapshot? parent = null;
            for (var run = 0; run < 12; run++)
            {
                // A file replaced by every run, packed with the files a run rewrites (which live for
                // ten runs): after prune its old copies are the unused part of partly used packs.
                File.WriteAllBytes(Path.Combine(scenario.Source, "scratch.bin"), TestSupport.RandomBytes(PruneScenario.FileSize, seed: 5000 + run));
                parent = await scenario.BackUpNextAsync(parent);
            }

            var report = await scenario.PruneAsync(keepLast: 3, Immediate with { MaxUnused = maxUnused });
            var (used, unused) = await UsedAndUnusedBytesAsync(scenario);
            output.WriteLine($"MaxUnused {maxUnused:P0}: {report.PacksRepacked} packs repacked ({report.BytesRepacked} bytes), {report.PacksDeleted} deleted; "
                + $"after: {used} bytes used, {unused} unused ({(double)unused / (used + unused):P1})");
            Assert.True(report.PacksDeleted > 0, report.ToString());
            Assert.True(unused <= (maxUnused * (used + unused)) + 1, $"MaxUnused {maxUnused}: {unused} of {used + unused} bytes unused after prune");
            await scenario.AssertCheckPassesAsync($"MaxUnused {maxUnused}");
            Assert.Equal(3, await scenario.AssertEverySnapshotRestoresAsync($"MaxUnused {maxUnused}"));
            var again = await scenario.PruneAsync(keepLast: 3, Immediate with { MaxUnused = maxUnused });
            Assert.Equal((0, 0), (again.PacksMarked, again.PacksRepacked));
            results[maxUnused] = (report, used, unused);
        }

        Assert.Equal(0, results[0.0].Unused);
        Assert.Equal(0, results[1.0].Report.PacksRepacked);
        Assert.True(results[1.0].Unused > results[0.10].Unused, "a budget of 100 % left no more unused than one of 10 %: nothing was partly used");
        // The budget repacks only as much as it must: less than repacking every partly used pack.
        Assert.InRange(results[0.10].Report.BytesRepacked, 1, results[0.0].Report.BytesRepacked - 1);
        Assert.True(results[0.30].Report.BytesRepacked <= results[0.10].Report.BytesRepacked, "a larger budget repacked more");
    }

    /// <summary>Bytes of blobs the snapshots use (each once) and of every other blob, in the indexed packs.</summary>
    private static async Task<(long Used, long Unused)> UsedAndUnusedBytesAsync(PruneScenario scenario)
    {
        var scan = await RepositoryScan.ReadAsync(await scenario.OpenAsync(), null, CancellationToken.None);
        var counted = new HashSet<BlobId>();
        long used = 0, unused = 0;
        foreach (var entry in scan.IndexedPacks.Values.SelectMany(p => p.Entries))
        {
            if (scan.Used.Contains(entry.Id) && counted.Add(entry.Id))
            {
                used += entry.Length;
            }
            else
            {
                unused += entry.Length;
            }
        }

        return (used, unused);
    }

    [Fact]
    public async Task Options_out_of_range_are_refused_naming_the_field()
    {
        using var scenario = new PruneScenario();
        await scenario.InitAsync();
        var repo = await scenario.OpenAsync();

        var unused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => new Pruner().PruneAsync(repo, [], new PruneOptions { MaxUnused = 1.5 }, CancellationToken.None));
        var grace = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => new Pruner().PruneAsync(repo, [], new PruneOptions { GracePeriod = TimeSpan.FromSeconds(-1) }, CancellationToken.None));

        Assert.StartsWith("MaxUnused must be between 0 and 1", unused.Message, StringComparison.Ordinal);
        Assert.StartsWith("GracePeriod must not be negative", grace.Message, StringComparison.Ordinal);
    }

    private static async Task AssertConsistentAsync(PruneScenario scenario, List<Snapshot> history, string because)
    {
        await scenario.AssertCheckPassesAsync(because);
        await scenario.AssertEverySnapshotRestoresAsync(because);
        var present = (await (await scenario.OpenAsync()).ListSnapshotsAsync(CancellationToken.None)).Select(s => s.Id).ToHashSet();
        Assert.All(history.TakeLast(3), s => Assert.Contains(s.Id, present));
    }
}
