using DrOrchestrator.Catalog;
using DrOrchestrator.Server.Scheduling;

namespace DrOrchestrator.Server.Tests;

/// <summary>A policy's drill schedule fires like its backup schedule, and the fire enqueues a drill job (not a backup).</summary>
public sealed class DrillSchedulingTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task A_drill_fire_enqueues_one_drill_job_and_records_it_on_the_fire()
    {
        var due = new DateTimeOffset(2027, 5, 2, 4, 0, 0, TimeSpan.Zero);
        await using var harness = await SchedulingHarness.CreateAsync(due.AddSeconds(5), graceSeconds: 60);
        await harness.ApplyAsync(TestPolicies.Yaml("web", "/srv", "0 0 3 * * ?") + "\ndrill: { cron: \"0 0 4 * * ?\", timeZone: UTC, sampleFiles: 0 }\n");

        var outcome = await harness.Handler().HandleAsync("web", RunKind.Drill, due, Ct);
        var again = await harness.Handler().HandleAsync("web", RunKind.Drill, due, Ct);

        Assert.Equal((FireOutcome.Enqueued, FireOutcome.Duplicate), (outcome, again));
        var fire = Assert.Single(await harness.Catalog.ListFiresAsync("web", null, Ct));
        Assert.Equal((RunKind.Drill, FireStatus.Enqueued, "drill-job-1"), (fire.Kind, fire.Status, fire.JobId));
        Assert.Equal([("web", (long?)fire.Id)], harness.Queue.Drills);
        Assert.Empty(harness.Queue.Backups);
    }
}
