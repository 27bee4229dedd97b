using DrOrchestrator.Catalog;
using DrOrchestrator.Server.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Quartz;

namespace DrOrchestrator.Server.Tests;

/// <summary>
/// <see cref="PolicyScheduler.SyncAsync"/> writes the changed policies in one bulk call (decisions §67):
/// Quartz ends up holding exactly the catalog's policies, unchanged ones are not written again, and
/// one policy Quartz cannot take leaves the others scheduled.
/// </summary>
public sealed class PolicySchedulerTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private static string Policy(int i) => i switch
    {
        _ when i % 5 == 0 => TestPolicies.Yaml($"p{i:D2}", "/srv", $"0 {i} 3 * * ?", blackout: "\"03:40-03:50\""),
        _ when i % 3 == 0 => TestPolicies.Yaml($"p{i:D2}", "/srv", $"0 {i} 3 * * ?") + $"\ndrill: {{ cron: \"0 {i} 4 * * ?\", timeZone: UTC, sampleFiles: 0 }}\n",
        _ => TestPolicies.Yaml($"p{i:D2}", "/srv", $"0 {i} 3 * * ?", timeZone: "Europe/Berlin"),
    };

    [Fact]
    public async Task A_bulk_sync_schedules_exactly_the_applied_policies_and_a_later_one_unschedules_the_deleted_and_rewrites_only_the_changed()
    {
        await using var harness = await SchedulingHarness.CreateAsync(DateTimeOffset.UtcNow, graceSeconds: 60);
        await using var quartz = QuartzInMemory();
        var factory = quartz.GetRequiredService<ISchedulerFactory>();
        var scheduler = await factory.GetScheduler(Ct);
        for (int i = 1; i <= 30; i++)
        {
            await harness.ApplyAsync(Policy(i));
        }

        var policies = new PolicyScheduler(factory, NullLogger<PolicyScheduler>.Instance);
        await policies.SyncAsync(await harness.Catalog.ListPoliciesAsync(Ct), TimeProvider.System, Ct);

        var stored = await harness.Catalog.ListPoliciesAsync(Ct);
        await AssertHoldsExactlyAsync(scheduler, stored);
        Assert.All(stored, p => Assert.Equal((p.YamlSha256, (string?)null), (policies.States[p.Name].RunningSha256, policies.States[p.Name].Problem)));
        // The cron in its zone: p02 is 03:02 Berlin time.
        var berlin = await policies.NextFireAsync("p02", RunKind.Backup, Ct);
        Assert.Equal((3, 2), (TimeZoneInfo.ConvertTime(berlin!.Value, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")).Hour, berlin.Value.Minute));

        // A trigger paused by hand shows whether a later sync wrote it again (a rewrite sets it waiting).
        await scheduler.PauseTrigger(PolicyTriggers.Key("p01", RunKind.Backup), Ct);
        await scheduler.PauseTrigger(PolicyTriggers.Key("p03", RunKind.Backup), Ct);
        for (int i = 21; i <= 30; i++)
        {
            await harness.Catalog.DeletePolicyAsync($"p{i:D2}", "test", Ct);
        }

        await harness.ApplyAsync(TestPolicies.Yaml("p03", "/srv", "0 33 3 * * ?")); // drops its drill
        await harness.ApplyAsync(TestPolicies.Yaml("p10", "/srv", "0 10 5 * * ?")); // drops its blackout
        await policies.SyncAsync(await harness.Catalog.ListPoliciesAsync(Ct), TimeProvider.System, Ct);

        stored = await harness.Catalog.ListPoliciesAsync(Ct);
        Assert.Equal(20, stored.Count);
        await AssertHoldsExactlyAsync(scheduler, stored);
        Assert.Equal(TriggerState.Paused, await scheduler.GetTriggerState(PolicyTriggers.Key("p01", RunKind.Backup), Ct));
        Assert.Equal(TriggerState.Normal, await scheduler.GetTriggerState(PolicyTriggers.Key("p03", RunKind.Backup), Ct));
        Assert.Equal(20, policies.States.Count);
        Assert.DoesNotContain("p25", policies.States.Keys);

        // A node starting on a store that already holds every policy writes nothing.
        var restarted = new PolicyScheduler(factory, NullLogger<PolicyScheduler>.Instance);
        await restarted.SyncAsync(stored, TimeProvider.System, Ct);
        Assert.Equal(TriggerState.Paused, await scheduler.GetTriggerState(PolicyTriggers.Key("p01", RunKind.Backup), Ct));
        Assert.All(stored, p => Assert.Equal(p.YamlSha256, restarted.States[p.Name].RunningSha256));
    }

    [Fact]
    public async Task A_policy_Quartz_cannot_take_is_refused_alone_and_the_rest_of_the_bulk_is_scheduled()
    {
        await using var harness = await SchedulingHarness.CreateAsync(DateTimeOffset.UtcNow, graceSeconds: 60);
        await using var quartz = QuartzInMemory();
        var factory = quartz.GetRequiredService<ISchedulerFactory>();
        for (int i = 1; i <= 4; i++)
        {
            await harness.ApplyAsync(Policy(i));
        }

        var good = await harness.Catalog.ListPoliciesAsync(Ct);
        // Stored text that no longer builds (a zone this host lacks), as a catalog written by another version could hold.
        var bad = good[0] with { Name = "zzbad", Yaml = good[0].Yaml.Replace("name: p01", "name: zzbad", StringComparison.Ordinal).Replace("timeZone: Europe/Berlin", "timeZone: Mars/Olympus_Mons", StringComparison.Ordinal), YamlSha256 = "bad" };
        Assert.Contains("timeZone: Mars/Olympus_Mons", bad.Yaml, StringComparison.Ordinal);
        var policies = new PolicyScheduler(factory, NullLogger<PolicyScheduler>.Instance);

        await policies.SyncAsync([.. good, bad], TimeProvider.System, Ct);

        await AssertHoldsExactlyAsync(await factory.GetScheduler(Ct), good);
        Assert.Null(policies.States["zzbad"].RunningSha256);
        Assert.Contains("Mars/Olympus_Mons", policies.States["zzbad"].Problem, StringComparison.Ordinal);
    }

    /// <summary>Quartz holds one trigger per schedule of each policy (built from its very text), a calendar per blackout, and nothing else.</summary>
    private static async Task AssertHoldsExactlyAsync(IScheduler scheduler, IReadOnlyList<CatalogPolicy> policies)
    {
        var expected = new SortedSet<string>(StringComparer.Ordinal);
        var calendars = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var stored in policies)
        {
            foreach (var (kind, schedule) in PolicyTriggers.Schedules(stored.ToPolicy()))
            {
                expected.Add(PolicyTriggers.Key(stored.Name, kind).ToString());
                if (schedule.Blackouts.Count > 0)
                {
                    calendars.Add(PolicyTriggers.CalendarName(stored.Name, kind));
                }

                var trigger = await scheduler.GetTrigger(PolicyTriggers.Key(stored.Name, kind), Ct);
                Assert.NotNull(trigger);
                Assert.Equal(stored.YamlSha256, trigger.JobDataMap.GetString(PolicyTriggers.TextKey));
                Assert.Equal(schedule.Cron, ((ICronTrigger)trigger).CronExpressionString);
                Assert.Equal(schedule.Blackouts.Count > 0 ? PolicyTriggers.CalendarName(stored.Name, kind) : null, trigger.CalendarName);
            }
        }

        var held = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var group in PolicyTriggers.Groups)
        {
            held.UnionWith((await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(group), Ct)).Select(k => k.ToString()));
        }

        Assert.Equal(expected, held);
        Assert.Equal(calendars, new SortedSet<string>(await scheduler.GetCalendarNames(Ct), StringComparer.Ordinal));
    }

    /// <summary>An in-memory Quartz scheduler, never started (nothing fires), with the policy fire job as the host registers it.</summary>
    private static ServiceProvider QuartzInMemory()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(s => s.InstanceName = "policy-scheduler-test-" + Guid.NewGuid().ToString("N")[..8]);
            q.UseInMemoryStore();
            q.AddJob<PolicyFireJob>(j => j.WithIdentity(PolicyTriggers.FireJob).StoreDurably());
        });
        return services.BuildServiceProvider();
    }
}
