using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Orchestration.Monitoring;
using Microsoft.Extensions.Time.Testing;
using static DrOrchestrator.Orchestration.Tests.Monitoring.MonitoringTimeline;

namespace DrOrchestrator.Orchestration.Tests.Monitoring;

/// <summary>
/// RPO and RTO per target from a real catalog on a fake clock. The policy (RPO 6 h, RTO 2 min) is
/// applied at T0; "main" holds A (recovery point 0 h, complete at 1 h), B (5, 5.5), C (20, 22),
/// D (24, 30: complete only when already 6 h old) and E (40, 42); the replica "offsite" got only C,
/// at 23 h. Now is 48 h. Every expectation below is worked out by hand in its comment.
/// </summary>
public sealed class ObjectivesServiceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset H(double hours) => T0.AddHours(hours);

    [Fact]
    public async Task Exposure_compliance_and_breaches_per_target_come_from_the_snapshot_timeline_with_its_gaps()
    {
        var clock = new FakeTimeProvider(T0);
        await using var sandbox = await OrchestrationSandbox.CreateAsync(clock);
        var report = await SeedAsync(sandbox, clock);

        var policy = Assert.Single(report.Policies);
        Assert.Equal(TimeSpan.FromHours(6), policy.Rpo);
        var main = policy.Targets.Single(t => t.Target == "main");
        var offsite = policy.Targets.Single(t => t.Target == "offsite");

        // main: newest complete recovery point E (40 h) → exposure 48 − 40 = 8 h > 6 h.
        Assert.Equal(H(40), main.NewestRecoveryPoint);
        Assert.Equal(TimeSpan.FromHours(8), main.Exposure);
        Assert.False(main.RpoMet);
        // Compliant [1, 11] ∪ [22, 26] ∪ [42, 46]; the 7 d and 30 d windows start at the policy's creation (0 h):
        // 18 h of 48 h = 0.375; the last 24 h [24, 48) hold [24, 26] + [42, 46] = 6 h → 0.25.
        Assert.Equal(0.25, main.Compliance.Day, 12);
        Assert.Equal(0.375, main.Compliance.Week, 12);
        Assert.Equal(0.375, main.Compliance.Month, 12);
        Assert.Equal(
            [
                new RpoBreach(H(0), H(1), null),
                new RpoBreach(H(11), H(22), TimeSpan.FromHours(17)),
                new RpoBreach(H(26), H(42), TimeSpan.FromHours(18)),
                new RpoBreach(H(46), null, TimeSpan.FromHours(8)),
            ],
            main.Breaches);
        Assert.Equal(TimeSpan.Zero, main.CopyLag);

        // offsite: only C (20 h), complete at 23 h → exposure 28 h, compliant [23, 26] only: 3 h of 48 = 0.0625;
        // it lags the newest recovery point anywhere (E, 40 h) by 20 h.
        Assert.Equal(TimeSpan.FromHours(28), offsite.Exposure);
        Assert.Equal(3.0 / 48.0, offsite.Compliance.Month, 12);
        Assert.Equal(TimeSpan.FromHours(20), offsite.CopyLag);
        Assert.Equal([new RpoBreach(H(0), H(23), null), new RpoBreach(H(26), null, TimeSpan.FromHours(28))], offsite.Breaches);
        Assert.False(report.WithinObjectives);
    }

    [Fact]
    public async Task Rto_is_the_last_drill_the_worst_of_30_days_and_a_prediction_from_drill_throughput()
    {
        var clock = new FakeTimeProvider(T0);
        await using var sandbox = await OrchestrationSandbox.CreateAsync(clock);
        var report = await SeedAsync(sandbox, clock);
        var main = report.Policies[0].Targets.Single(t => t.Target == "main");
        var offsite = report.Policies[0].Targets.Single(t => t.Target == "offsite");

        // Last drill of main: the one at 44 h, 130 s against an RTO of 2 min → passed-over-rto.
        Assert.Equal(DrillOutcome.PassedOverRto, main.LastDrill!.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(130), main.LastDrill.RtoAchieved);
        Assert.Equal(TimeSpan.FromSeconds(130), main.WorstRto);
        // Throughput of the drills that verified: 10, 20, 30 MB/s (the failed one, 50 MB/s, does not count):
        // median 20 MB/s; the newest snapshot on main (E) holds 3 GB → 150 s.
        Assert.Equal(TimeSpan.FromSeconds(150), main.PredictedRto);
        Assert.Equal(3_000_000_000, main.NewestSnapshotBytes);
        Assert.False(main.RtoMet);
        Assert.Equal(4, report.Policies[0].Drills.Count);

        // No drill from offsite: nothing achieved, nothing to predict from.
        Assert.Null(offsite.LastDrill);
        Assert.Null(offsite.PredictedRto);
        Assert.True(offsite.RtoMet);
    }

    [Fact]
    public async Task Restores_recorded_in_the_catalog_feed_the_predicted_rto_with_the_drills()
    {
        var clock = new FakeTimeProvider(T0);
        await using var sandbox = await OrchestrationSandbox.CreateAsync(clock);
        await SeedAsync(sandbox, clock);
        // Two restores from main, 4 GB and 5 GB in 100 s each (40 and 50 MB/s); a failed one (1 GB
        // in 1 s) and one from offsite must not count for main. All end now, at 48 h.
        await sandbox.Catalog.RecordFinishedRunAsync("home", RunKind.Restore, "main", TimeSpan.FromSeconds(100), RunStatus.Succeeded, new RunFigures(4_000_000_000, 0, 0, 10, 0, "e"), CancellationToken.None);
        await sandbox.Catalog.RecordFinishedRunAsync("home", RunKind.Restore, "main", TimeSpan.FromSeconds(100), RunStatus.Succeeded, new RunFigures(5_000_000_000, 0, 0, 10, 0, "e"), CancellationToken.None);
        await sandbox.Catalog.RecordFinishedRunAsync("home", RunKind.Restore, "main", TimeSpan.FromSeconds(1), RunStatus.Failed, new RunFigures(1_000_000_000, 0, 0, 1, 0, "e"), CancellationToken.None);
        await sandbox.Catalog.RecordFinishedRunAsync("home", RunKind.Restore, "offsite", TimeSpan.FromSeconds(10), RunStatus.Succeeded, new RunFigures(1_000_000_000, 0, 0, 1, 0, "c"), CancellationToken.None);

        var report = await sandbox.Get<ObjectivesService>().GetAsync(null, null, CancellationToken.None);

        // main: drills at 10, 20, 30 MB/s plus restores at 40, 50 MB/s: the newest five, median 30 MB/s;
        // E holds 3 GB → 100 s (drills alone gave 150 s).
        var main = report.Policies[0].Targets.Single(t => t.Target == "main");
        Assert.Equal(TimeSpan.FromSeconds(100), main.PredictedRto);
        // offsite: no drill, one restore at 100 MB/s; its newest snapshot C holds 1000 bytes (SnapshotAsync's default) → 10 µs.
        var offsite = report.Policies[0].Targets.Single(t => t.Target == "offsite");
        Assert.Equal(1000, offsite.NewestSnapshotBytes);
        Assert.Equal(TimeSpan.FromMicroseconds(10), offsite.PredictedRto);
    }

    [Fact]
    public async Task Within_objectives_once_a_fresh_point_is_everywhere_and_drills_pass()
    {
        var clock = new FakeTimeProvider(T0);
        await using var sandbox = await OrchestrationSandbox.CreateAsync(clock);
        await ApplyAsync(sandbox.Catalog, PolicyYaml("fresh", "6h", "1h", "main", "offsite"));
        await SnapshotAsync(sandbox.Catalog, "fresh", "f1", H(1), "main", H(1.5));
        await SnapshotAsync(sandbox.Catalog, "fresh", "f1", H(1), "offsite", H(2));
        clock.SetUtcNow(H(3));
        await DrillAsync(sandbox.Catalog, "fresh", "main", "f1", DrillOutcome.Passed, 1000, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));

        var report = await sandbox.Get<ObjectivesService>().GetAsync(null, null, CancellationToken.None);

        // Exposure 2 h on both; compliant since each completion: main [1.5, 3) of [0, 3) = 0.5, offsite [2, 3) = 1/3.
        Assert.True(report.WithinObjectives);
        Assert.All(report.Rows, r => Assert.Equal(TimeSpan.FromHours(2), r.Exposure));
        Assert.Equal(0.5, report.Rows.Single(r => r.Target == "main").Compliance.Day, 12);
        Assert.Equal(1.0 / 3.0, report.Rows.Single(r => r.Target == "offsite").Compliance.Day, 12);
        Assert.Equal(TimeSpan.Zero, report.Rows.Single(r => r.Target == "offsite").CopyLag);
    }

    [Fact]
    public async Task Each_policy_gets_only_its_own_points_and_drills_when_all_are_read_in_one_pass()
    {
        var clock = new FakeTimeProvider(T0);
        await using var sandbox = await OrchestrationSandbox.CreateAsync(clock);
        await ApplyAsync(sandbox.Catalog, PolicyYaml("alpha", "6h", "1h", "main", "offsite"));
        await ApplyAsync(sandbox.Catalog, PolicyYaml("beta", "6h", "1h", "main", "offsite"));
        await SnapshotAsync(sandbox.Catalog, "alpha", "a1", H(1), "main", H(1.5));
        await SnapshotAsync(sandbox.Catalog, "beta", "b1", H(2), "main", H(2.5));
        await SnapshotAsync(sandbox.Catalog, "beta", "b1", H(2), "offsite", H(3));
        clock.SetUtcNow(H(4));
        await DrillAsync(sandbox.Catalog, "beta", "main", "b1", DrillOutcome.Passed, 1000, TimeSpan.FromSeconds(7), TimeSpan.FromHours(1));

        var service = sandbox.Get<ObjectivesService>();
        var all = await service.GetAsync(null, null, CancellationToken.None);
        var beta = await service.GetAsync(null, "beta", CancellationToken.None);

        // alpha: only a1, only on main (exposure 4 − 1 = 3 h), no drill; offsite never got one.
        var alpha = all.Policies.Single(p => p.Policy == "alpha");
        Assert.Equal(H(1), alpha.Targets.Single(t => t.Target == "main").NewestRecoveryPoint);
        Assert.Null(alpha.Targets.Single(t => t.Target == "offsite").NewestRecoveryPoint);
        Assert.Empty(alpha.Drills);
        Assert.All(alpha.Targets, t => Assert.Null(t.LastDrill));
        // beta: b1 on both targets (exposure 2 h), its drill on main; the same whether read alone or with alpha.
        var betaInAll = all.Policies.Single(p => p.Policy == "beta");
        Assert.All(betaInAll.Targets, t => Assert.Equal(TimeSpan.FromHours(2), t.Exposure));
        Assert.Equal(TimeSpan.FromSeconds(7), Assert.Single(betaInAll.Drills).RtoAchieved);
        Assert.Equal(TimeSpan.FromSeconds(7), betaInAll.Targets.Single(t => t.Target == "main").LastDrill?.RtoAchieved);
        var alone = Assert.Single(beta.Policies);
        Assert.Equal(
            betaInAll.Targets.Select(t => (t.Target, t.NewestRecoveryPoint, t.Exposure, t.Compliance, t.LastDrill?.RunId, t.PredictedRto)),
            alone.Targets.Select(t => (t.Target, t.NewestRecoveryPoint, t.Exposure, t.Compliance, t.LastDrill?.RunId, t.PredictedRto)));
    }

    private static async Task<ObjectivesReport> SeedAsync(OrchestrationSandbox sandbox, FakeTimeProvider clock)
    {
        var catalog = sandbox.Catalog;
        await ApplyAsync(catalog, PolicyYaml("home", "6h", "2m", "main", "offsite"));
        await SnapshotAsync(catalog, "home", "a", H(0), "main", H(1));
        await SnapshotAsync(catalog, "home", "b", H(5), "main", H(5.5));
        await SnapshotAsync(catalog, "home", "c", H(20), "main", H(22));
        await SnapshotAsync(catalog, "home", "c", H(20), "offsite", H(23));
        await SnapshotAsync(catalog, "home", "d", H(24), "main", H(30));
        await SnapshotAsync(catalog, "home", "e", H(40), "main", H(42), totalBytes: 3_000_000_000);
        var rto = TimeSpan.FromMinutes(2);
        clock.SetUtcNow(H(10));
        await DrillAsync(catalog, "home", "main", "a", DrillOutcome.Passed, 1_000_000_000, TimeSpan.FromSeconds(100), rto);
        clock.SetUtcNow(H(21));
        await DrillAsync(catalog, "home", "main", "b", DrillOutcome.Passed, 2_000_000_000, TimeSpan.FromSeconds(100), rto);
        clock.SetUtcNow(H(31));
        await DrillAsync(catalog, "home", "main", "d", DrillOutcome.Failed, 500_000_000, TimeSpan.FromSeconds(10), rto, new DrillMismatch("etc/passwd", "aa", "bb", "content differs"));
        clock.SetUtcNow(H(44));
        await DrillAsync(catalog, "home", "main", "e", DrillOutcome.PassedOverRto, 3_900_000_000, TimeSpan.FromSeconds(130), rto);
        clock.SetUtcNow(H(48));
        return await sandbox.Get<ObjectivesService>().GetAsync(null, null, CancellationToken.None);
    }
}
