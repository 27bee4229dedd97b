using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Server.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Quartz;

namespace DrOrchestrator.Server.Tests;

/// <summary>
/// <see cref="PolicyScheduler.SyncAsync"/> writes the changed triggers in one bulk call (decisions §67):
/// Quartz ends up holding one trigger per schedule the catalog's policies share, listing exactly
/// those policies (decisions §71); unchanged ones are not written again, and one policy Quartz
/// cannot take leaves the others scheduled.
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
        var p01 = policies.TriggerOf("p01", RunKind.Backup)!;
        var p03 = policies.TriggerOf("p03", RunKind.Backup)!;
        await scheduler.PauseTrigger(p01, Ct);
        await scheduler.PauseTrigger(p03, Ct);
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
        Assert.Equal(TriggerState.Paused, await scheduler.GetTriggerState(p01, Ct));
        Assert.Equal(TriggerState.None, await scheduler.GetTriggerState(p03, Ct)); // p03 moved to the trigger of its new cron
        Assert.Equal(TriggerState.Normal, await scheduler.GetTriggerState(policies.TriggerOf("p03", RunKind.Backup)!, Ct));
        Assert.Equal(20, policies.States.Count);
        Assert.DoesNotContain("p25", policies.States.Keys);

        // A node starting on a store that already holds every policy writes nothing.
        var restarted = new PolicyScheduler(factory, NullLogger<PolicyScheduler>.Instance);
        await restarted.SyncAsync(stored, TimeProvider.System, Ct);
        Assert.Equal(TriggerState.Paused, await scheduler.GetTriggerState(p01, Ct));
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

    [Fact]
    public async Task Policies_with_one_schedule_share_one_trigger_and_a_live_apply_moves_a_policy_between_triggers()
    {
        await using var harness = await SchedulingHarness.CreateAsync(DateTimeOffset.UtcNow, graceSeconds: 60);
        await using var quartz = QuartzInMemory();
        var factory = quartz.GetRequiredService<ISchedulerFactory>();
        var scheduler = await factory.GetScheduler(Ct);
        foreach (var name in new[] { "a", "b", "c" })
        {
            await harness.ApplyAsync(TestPolicies.Yaml(name, "/srv", "0 0 3 * * ?"));
        }

        await harness.ApplyAsync(TestPolicies.Yaml("d", "/srv", "0 0 3 * * ?", blackout: "\"02:00-02:30\"")); // same cron, other blackout: its own trigger
        var policies = new PolicyScheduler(factory, NullLogger<PolicyScheduler>.Instance);
        await policies.SyncAsync(await harness.Catalog.ListPoliciesAsync(Ct), TimeProvider.System, Ct);

        var shared = policies.TriggerOf("a", RunKind.Backup)!;
        Assert.Equal(["a", "b", "c"], await MembersAsync(scheduler, shared));
        Assert.Equal(shared, policies.TriggerOf("c", RunKind.Backup));
        Assert.NotEqual(shared, policies.TriggerOf("d", RunKind.Backup));
        await AssertHoldsExactlyAsync(scheduler, await harness.Catalog.ListPoliciesAsync(Ct));

        // b changes its cron: it leaves the shared trigger for a trigger of its own; c is deleted.
        await harness.ApplyAsync(TestPolicies.Yaml("b", "/srv", "0 30 3 * * ?"));
        await harness.Catalog.DeletePolicyAsync("c", "test", Ct);
        await policies.SyncAsync(await harness.Catalog.ListPoliciesAsync(Ct), TimeProvider.System, Ct);

        Assert.Equal(["a"], await MembersAsync(scheduler, shared));
        var moved = policies.TriggerOf("b", RunKind.Backup)!;
        Assert.NotEqual(shared, moved);
        Assert.Equal(["b"], await MembersAsync(scheduler, moved));
        Assert.Equal(30, (await policies.NextFireAsync("b", RunKind.Backup, Ct))!.Value.Minute);
        Assert.Null(policies.TriggerOf("c", RunKind.Backup));
        await AssertHoldsExactlyAsync(scheduler, await harness.Catalog.ListPoliciesAsync(Ct));

        // b comes back to 03:00: one trigger again, and b's own trigger is gone.
        await harness.ApplyAsync(TestPolicies.Yaml("b", "/srv", "0 0 3 * * ?"));
        await policies.SyncAsync(await harness.Catalog.ListPoliciesAsync(Ct), TimeProvider.System, Ct);
        Assert.Equal(["a", "b"], await MembersAsync(scheduler, shared));
        Assert.Null(await scheduler.GetTrigger(moved, Ct));
        await AssertHoldsExactlyAsync(scheduler, await harness.Catalog.ListPoliciesAsync(Ct));
    }

    [Fact]
    public async Task A_refused_change_keeps_the_policy_in_its_previous_trigger_also_for_a_node_that_restarts()
    {
        await using var harness = await SchedulingHarness.CreateAsync(DateTimeOffset.UtcNow, graceSeconds: 60);
        await using var quartz = QuartzInMemory();
        var factory = quartz.GetRequiredService<ISchedulerFactory>();
        var scheduler = await factory.GetScheduler(Ct);
        await harness.ApplyAsync(TestPolicies.Yaml("a", "/srv", "0 0 3 * * ?"));
        await harness.ApplyAsync(TestPolicies.Yaml("b", "/srv", "0 0 3 * * ?"));
        var policies = new PolicyScheduler(factory, NullLogger<PolicyScheduler>.Instance);
        var good = await harness.Catalog.ListPoliciesAsync(Ct);
        await policies.SyncAsync(good, TimeProvider.System, Ct);
        var shared = policies.TriggerOf("b", RunKind.Backup)!;

        // b's stored text no longer builds (a zone this host lacks), and a is deleted.
        var b = good.Single(p => p.Name == "b");
        var bad = b with { Yaml = b.Yaml.Replace("timeZone: UTC", "timeZone: Mars/Olympus_Mons", StringComparison.Ordinal), YamlSha256 = "bad" };
        Assert.Contains("Mars/Olympus_Mons", bad.Yaml, StringComparison.Ordinal);
        await policies.SyncAsync([bad], TimeProvider.System, Ct);

        Assert.Equal(["b"], await MembersAsync(scheduler, shared));
        var trigger = await scheduler.GetTrigger(shared, Ct);
        Assert.Equal(b.YamlSha256, PolicyTriggers.ParseMembers(trigger!.JobDataMap.GetString(PolicyTriggers.MembersKey))["b"]);
        Assert.Equal((b.YamlSha256, true), (policies.States["b"].RunningSha256, policies.States["b"].Problem!.Contains("Mars/Olympus_Mons", StringComparison.Ordinal)));
        Assert.NotNull(await policies.NextFireAsync("b", RunKind.Backup, Ct));

        var restarted = new PolicyScheduler(factory, NullLogger<PolicyScheduler>.Instance);
        await restarted.SyncAsync([bad], TimeProvider.System, Ct);
        Assert.Equal(["b"], await MembersAsync(scheduler, shared));
        Assert.Equal(shared, restarted.TriggerOf("b", RunKind.Backup));
    }

    [Fact]
    public async Task The_first_sync_after_an_upgrade_replaces_the_per_policy_triggers_and_calendars_with_shared_ones()
    {
        await using var harness = await SchedulingHarness.CreateAsync(DateTimeOffset.UtcNow, graceSeconds: 60);
        await using var quartz = QuartzInMemory();
        var factory = quartz.GetRequiredService<ISchedulerFactory>();
        var scheduler = await factory.GetScheduler(Ct);
        await harness.ApplyAsync(TestPolicies.Yaml("a", "/srv", "0 0 3 * * ?"));
        await harness.ApplyAsync(TestPolicies.Yaml("b", "/srv", "0 0 3 * * ?", blackout: "\"02:00-02:30\""));
        // What the layout before §71 stored: a trigger per policy in group "backup", a calendar per policy.
        var legacyCalendar = PolicyTriggers.BlackoutCalendar(new PolicySchedule("0 0 3 * * ?", "UTC") { Blackouts = [BlackoutWindow.TryParse("02:00-02:30")!] })!;
        await scheduler.AddCalendar("blackout:backup:b", legacyCalendar, AddCalendarOptions.ReplacingAndUpdatingTriggers, Ct);
        var legacy = new List<ITrigger>();
        foreach (var (name, calendar) in new[] { ("a", (string?)null), ("b", "blackout:backup:b") })
        {
            var builder = TriggerBuilder.Create(TimeProvider.System).WithIdentity(name, "backup").ForJob(PolicyTriggers.FireJob)
                .UsingJobData("policy", name).UsingJobData(PolicyTriggers.KindKey, "Backup").WithCronSchedule("0 0 3 * * ?");
            legacy.Add((calendar is null ? builder : builder.WithCalendarName(calendar)).Build());
        }

        await scheduler.ScheduleJobs(new Dictionary<IJobDetail, IReadOnlyCollection<ITrigger>> { [PolicyTriggers.FireJobDetail()] = legacy }, ScheduleJobOptions.Replacing, Ct);
        Assert.Equal(2, (await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals("backup"), Ct)).Count);

        var policies = new PolicyScheduler(factory, NullLogger<PolicyScheduler>.Instance);
        await policies.SyncAsync(await harness.Catalog.ListPoliciesAsync(Ct), TimeProvider.System, Ct);

        Assert.Empty(await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals("backup"), Ct));
        await AssertHoldsExactlyAsync(scheduler, await harness.Catalog.ListPoliciesAsync(Ct));
    }

    private static async Task<string[]> MembersAsync(IScheduler scheduler, TriggerKey key)
    {
        var trigger = await scheduler.GetTrigger(key, Ct);
        Assert.NotNull(trigger);
        return [.. PolicyTriggers.ParseMembers(trigger.JobDataMap.GetString(PolicyTriggers.MembersKey)).Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Quartz holds one trigger per distinct schedule (kind, cron, zone, blackouts), listing every
    /// policy with that schedule and the text SHA-256 it was built from, a calendar per trigger with
    /// blackouts, and nothing else.
    /// </summary>
    private static async Task AssertHoldsExactlyAsync(IScheduler scheduler, IReadOnlyList<CatalogPolicy> policies)
    {
        var expected = new Dictionary<TriggerKey, (PolicySchedule Schedule, SortedDictionary<string, string> Members)>();
        foreach (var stored in policies)
        {
            foreach (var (kind, schedule) in PolicyTriggers.Schedules(stored.ToPolicy()))
            {
                var key = PolicyTriggers.Key(kind, schedule);
                if (!expected.TryGetValue(key, out var group))
                {
                    expected[key] = group = (schedule, new SortedDictionary<string, string>(StringComparer.Ordinal));
                }

                group.Members[stored.Name] = stored.YamlSha256;
            }
        }

        var calendars = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, (schedule, members)) in expected)
        {
            var trigger = await scheduler.GetTrigger(key, Ct);
            Assert.NotNull(trigger);
            Assert.Equal(PolicyTriggers.MembersText(members), trigger.JobDataMap.GetString(PolicyTriggers.MembersKey));
            Assert.Equal(schedule.Cron, ((ICronTrigger)trigger).CronExpressionString);
            Assert.Equal(schedule.Blackouts.Count > 0 ? PolicyTriggers.CalendarName(key) : null, trigger.CalendarName);
            if (schedule.Blackouts.Count > 0)
            {
                calendars.Add(PolicyTriggers.CalendarName(key));
            }
        }

        var held = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var group in PolicyTriggers.Groups)
        {
            held.UnionWith((await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(group), Ct)).Select(k => k.ToString()));
        }

        Assert.Equal(new SortedSet<string>(expected.Keys.Select(k => k.ToString()), StringComparer.Ordinal), held);
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
