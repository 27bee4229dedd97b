using System.Collections.Concurrent;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Server.Scheduling;
using Quartz;
using Quartz.Extensibility;

namespace DrOrchestrator.Server.Tests;

/// <summary>Quartz owns when: cron in a time zone across DST, blackout calendars, misfire grace, double fires.</summary>
public sealed class SchedulingTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private static PolicySchedule Schedule(string cron, string zone = "UTC", params string[] blackouts) =>
        new(cron, zone) { Blackouts = [.. blackouts.Select(b => BlackoutWindow.TryParse(b)!)] };

    /// <summary>The instants the scheduler would fire the trigger at (calendar applied), starting after <paramref name="start"/>.</summary>
    private static List<DateTimeOffset> Fires(PolicySchedule schedule, DateTimeOffset start, int count)
    {
        var calendar = PolicyTriggers.BlackoutCalendar(schedule);
        var trigger = (IOperableTrigger)PolicyTriggers.Build(RunKind.Backup, schedule, calendar is null ? null : "c", start);
        var fires = new List<DateTimeOffset>();
        for (var next = trigger.ComputeFirstFireTimeUtc(calendar); next is not null && fires.Count < count; next = trigger.NextFireTimeUtc)
        {
            fires.Add(next.Value);
            trigger.Triggered(calendar);
        }

        return fires;
    }

    [Fact]
    public void A_Berlin_cron_keeps_its_local_time_across_the_spring_DST_change()
    {
        // 28 March 2027: Europe/Berlin goes from UTC+1 to UTC+2 at 02:00 local.
        var fires = Fires(Schedule("0 30 1 * * ?", "Europe/Berlin"), new DateTimeOffset(2027, 3, 26, 12, 0, 0, TimeSpan.Zero), 3);

        Assert.Equal(
            [
                new DateTimeOffset(2027, 3, 27, 0, 30, 0, TimeSpan.Zero), // 01:30 CET
                new DateTimeOffset(2027, 3, 28, 0, 30, 0, TimeSpan.Zero), // 01:30 CET, before the switch
                new DateTimeOffset(2027, 3, 28, 23, 30, 0, TimeSpan.Zero), // 01:30 CEST
            ],
            fires);
    }

    [Fact]
    public void A_Berlin_cron_in_the_repeated_autumn_hour_fires_once()
    {
        // 31 October 2027: 03:00 CEST becomes 02:00 CET, so 02:30 local happens twice.
        var fires = Fires(Schedule("0 30 2 * * ?", "Europe/Berlin"), new DateTimeOffset(2027, 10, 30, 12, 0, 0, TimeSpan.Zero), 2);

        Assert.Equal(new DateTimeOffset(2027, 10, 31, 0, 30, 0, TimeSpan.Zero), fires[0]); // first 02:30 (CEST)
        Assert.Equal(new DateTimeOffset(2027, 11, 1, 1, 30, 0, TimeSpan.Zero), fires[1]); // next day, CET
    }

    [Fact]
    public void A_blackout_window_skips_the_fires_inside_it_and_only_those()
    {
        var schedule = Schedule("0 0/15 * * * ?", "Europe/Berlin", "08:00-09:00");
        var start = new DateTimeOffset(2027, 1, 12, 6, 20, 0, TimeSpan.Zero); // 07:20 CET

        var local = Fires(schedule, start, 6).Select(f => TimeZoneInfo.ConvertTime(f, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(["07:30", "07:45", "09:00", "09:15", "09:30", "09:45"], local);
    }

    [Fact]
    public void A_blackout_window_across_midnight_skips_the_night()
    {
        var schedule = Schedule("0 0 * * * ?", "UTC", "22:00-02:00");
        var due = FireCatchUp.DueTimes(schedule, new DateTimeOffset(2027, 1, 1, 20, 30, 0, TimeSpan.Zero), new DateTimeOffset(2027, 1, 2, 3, 30, 0, TimeSpan.Zero));

        Assert.Equal([21, 2, 3], due.Select(d => d.Hour));
    }

    [Fact]
    public void Quartz_refuses_a_schedule_that_never_fires_and_the_check_names_the_field()
    {
        var policy = PolicyFileParser.Parse(new StringReader(TestPolicies.Yaml("never", "/tmp", "0 0 0 30 2 ?")), "never.yaml").Policies.Single();

        var problem = PolicyScheduler.Check(policy, DateTimeOffset.UtcNow);

        Assert.NotNull(problem);
        Assert.Equal("schedule.cron", problem.Value.Field);
        Assert.Contains("never fires", problem.Value.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fire_late_by_less_than_the_grace_runs_once_now()
    {
        var due = new DateTimeOffset(2027, 5, 1, 3, 0, 0, TimeSpan.Zero);
        await using var harness = await SchedulingHarness.CreateAsync(due.AddSeconds(59), graceSeconds: 60);
        await harness.ApplyAsync(TestPolicies.Yaml("web", "/srv", "0 0 3 * * ?"));

        var outcome = await harness.Handler().HandleAsync("web", RunKind.Backup, due, Ct);

        Assert.Equal(FireOutcome.Enqueued, outcome);
        var fire = Assert.Single(await harness.Catalog.ListFiresAsync("web", null, Ct));
        Assert.Equal((FireStatus.Enqueued, due, "job-1"), (fire.Status, fire.ScheduledAt, fire.JobId));
        Assert.Equal([("web", (long?)fire.Id)], harness.Queue.Backups);
    }

    [Fact]
    public async Task A_fire_later_than_the_grace_is_recorded_missed_and_starts_nothing()
    {
        var due = new DateTimeOffset(2027, 5, 1, 3, 0, 0, TimeSpan.Zero);
        await using var harness = await SchedulingHarness.CreateAsync(due.AddSeconds(61), graceSeconds: 60);
        await harness.ApplyAsync(TestPolicies.Yaml("web", "/srv", "0 0 3 * * ?"));

        var outcome = await harness.Handler().HandleAsync("web", RunKind.Backup, due, Ct);

        Assert.Equal(FireOutcome.Missed, outcome);
        var fire = Assert.Single(await harness.Catalog.ListFiresAsync("web", null, Ct));
        Assert.Equal(FireStatus.Missed, fire.Status);
        Assert.Equal("fired 61 s late, grace 60 s", fire.Detail);
        Assert.Empty(harness.Queue.Backups);
    }

    [Fact]
    public async Task A_double_fire_of_one_instant_enqueues_once()
    {
        var due = new DateTimeOffset(2027, 5, 1, 3, 0, 0, TimeSpan.Zero);
        await using var harness = await SchedulingHarness.CreateAsync(due.AddSeconds(1), graceSeconds: 60);
        await harness.ApplyAsync(TestPolicies.Yaml("web", "/srv", "0 0 3 * * ?"));

        // Two fires of the same instant at once (two nodes, or Quartz and the catch-up), then a late repeat.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => harness.Handler().HandleAsync("web", RunKind.Backup, due, Ct))));
        var again = await harness.Handler().HandleAsync("web", RunKind.Backup, due, Ct);

        Assert.Equal(1, outcomes.Count(o => o == FireOutcome.Enqueued));
        Assert.Equal(3, outcomes.Count(o => o == FireOutcome.Duplicate));
        Assert.Equal(FireOutcome.Duplicate, again);
        Assert.Single(harness.Queue.Backups);
        Assert.Single(await harness.Catalog.ListFiresAsync("web", null, Ct));
    }

    [Fact]
    public async Task A_shared_trigger_fires_once_per_member_policy_each_claimed_by_its_own_key_and_a_double_fire_enqueues_nothing_more()
    {
        var due = new DateTimeOffset(2027, 5, 1, 3, 0, 0, TimeSpan.Zero);
        await using var harness = await SchedulingHarness.CreateAsync(due.AddSeconds(1), graceSeconds: 60);
        await harness.ApplyDailyAtThreeAsync(new[] { "a", "b", "c" });

        var schedule = new PolicySchedule("0 0 3 * * ?", "UTC");
        var trigger = PolicyTriggers.Build(RunKind.Backup, schedule, null, members: PolicyTriggers.MembersText(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2", ["c"] = "3" }));
        // b was already claimed for this instant (by a trigger of its own before an upgrade, or the catch-up).
        await harness.Handler().HandleAsync("b", RunKind.Backup, due, Ct);

        var first = await harness.Handler().HandleAsync(PolicyFireJob.FiresOf(trigger.JobDataMap, due), Ct);
        var again = await harness.Handler().HandleAsync(PolicyFireJob.FiresOf(trigger.JobDataMap, due), Ct); // the trigger fired twice (two nodes)

        Assert.Equal([FireOutcome.Enqueued, FireOutcome.Duplicate, FireOutcome.Enqueued], first);
        Assert.All(again, o => Assert.Equal(FireOutcome.Duplicate, o));
        Assert.Equal(["a", "b", "c"], harness.Queue.Backups.Select(b => b.Policy).Order(StringComparer.Ordinal));
        foreach (var name in new[] { "a", "b", "c" })
        {
            var fire = Assert.Single(await harness.Catalog.ListFiresAsync(name, null, Ct));
            Assert.Equal((FireStatus.Enqueued, due), (fire.Status, fire.ScheduledAt));
            Assert.Equal(fire.Id, harness.Queue.Backups.Single(b => b.Policy == name).FireId);
        }
    }

    [Fact]
    public async Task A_shared_trigger_fired_later_than_the_grace_records_each_member_missed_on_its_own_row()
    {
        var due = new DateTimeOffset(2027, 5, 1, 3, 0, 0, TimeSpan.Zero);
        await using var harness = await SchedulingHarness.CreateAsync(due.AddSeconds(61), graceSeconds: 60);
        var trigger = PolicyTriggers.Build(RunKind.Backup, new PolicySchedule("0 0 3 * * ?", "UTC"), null,
            members: PolicyTriggers.MembersText(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }));
        await harness.ApplyDailyAtThreeAsync(new[] { "a", "b" });

        var outcomes = await harness.Handler().HandleAsync(PolicyFireJob.FiresOf(trigger.JobDataMap, due), Ct);

        Assert.Equal([FireOutcome.Missed, FireOutcome.Missed], outcomes);
        Assert.Empty(harness.Queue.Backups);
        foreach (var name in new[] { "a", "b" })
        {
            var fire = Assert.Single(await harness.Catalog.ListFiresAsync(name, null, Ct));
            Assert.Equal((FireStatus.Missed, "fired 61 s late, grace 60 s"), (fire.Status, fire.Detail));
        }
    }

    [Fact]
    public async Task A_burst_enqueued_concurrently_claims_each_fire_once_and_records_each_fires_own_job_even_when_two_nodes_handle_it()
    {
        var due = new DateTimeOffset(2027, 5, 1, 3, 0, 0, TimeSpan.Zero);
        await using var harness = await SchedulingHarness.CreateAsync(due.AddSeconds(1), graceSeconds: 60);
        var names = Enumerable.Range(0, 60).Select(i => $"p{i:D2}").ToList();
        await harness.ApplyDailyAtThreeAsync(names);

        // The same burst handled by two nodes at once, in opposite orders; each batch enqueues several at a time.
        var burst = names.Select(n => new DueFire(n, RunKind.Backup, due)).ToList();
        var reversed = Enumerable.Reverse(burst).ToList();
        var outcomes = await Task.WhenAll(
            Task.Run(() => harness.Handler().HandleAsync(burst, Ct)), Task.Run(() => harness.Handler().HandleAsync(reversed, Ct)));

        Assert.All(Enumerable.Range(0, names.Count), i => Assert.Equal(
            [FireOutcome.Enqueued, FireOutcome.Duplicate], new[] { outcomes[0][i], outcomes[1][names.Count - 1 - i] }.Order()));
        var fires = await harness.Catalog.ListFiresAsync(null, null, Ct);
        Assert.Equal(names, fires.Select(f => f.PolicyName).Order(StringComparer.Ordinal));
        Assert.All(fires, f => Assert.Equal((FireStatus.Enqueued, due, (long?)f.Id), (f.Status, f.ScheduledAt, harness.Queue.FireOfJob[f.JobId!])));
        Assert.Equal(names.Count, harness.Queue.Backups.Count);
        Assert.Equal(fires.Select(f => (long?)f.Id).Order(), harness.Queue.Backups.Select(b => b.FireId).Order());
    }

    [Fact]
    public async Task When_one_enqueue_of_a_burst_fails_the_batch_fails_and_every_job_that_exists_is_recorded_on_its_fire()
    {
        var due = new DateTimeOffset(2027, 5, 1, 3, 0, 0, TimeSpan.Zero);
        await using var harness = await SchedulingHarness.CreateAsync(due.AddSeconds(1), graceSeconds: 60);
        var names = Enumerable.Range(0, 40).Select(i => $"p{i:D2}").ToList();
        await harness.ApplyDailyAtThreeAsync(names);

        harness.Queue.FailFor = "p20";

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => harness.Handler().HandleAsync([.. names.Select(n => new DueFire(n, RunKind.Backup, due))], Ct));

        Assert.Equal("enqueue of p20 failed (test)", failure.Message);
        var fires = await harness.Catalog.ListFiresAsync(null, null, Ct);
        Assert.Equal(names.Count, fires.Count); // all claimed (a retry of the instant is a duplicate); a job-less fire stays enqueued, as before (§67)
        Assert.Null(fires.Single(f => f.PolicyName == "p20").JobId);
        Assert.Equal(harness.Queue.FireOfJob.Count, fires.Count(f => f.JobId is not null));
        Assert.All(fires.Where(f => f.JobId is not null), f => Assert.Equal(f.Id, harness.Queue.FireOfJob[f.JobId!]));
    }

    [Fact]
    public async Task A_claimed_fire_whose_enqueue_never_happened_is_queued_by_the_watchdog_once_it_is_stranded_and_only_once()
    {
        var due = new DateTimeOffset(2027, 5, 1, 3, 0, 0, TimeSpan.Zero);
        await using var harness = await SchedulingHarness.CreateAsync(due.AddSeconds(1), graceSeconds: 300);
        await harness.ApplyDailyAtThreeAsync(new[] { "p1", "p2", "p3" });

        harness.Queue.FailFor = "p2"; // the batch's enqueue of p2 fails: claimed, no job (as a node killed mid-burst leaves it)
        await Assert.ThrowsAsync<InvalidOperationException>(() => harness.Handler().HandleAsync([.. new[] { "p1", "p2", "p3" }.Select(n => new DueFire(n, RunKind.Backup, due))], Ct));
        harness.Queue.FailFor = null;
        var jobless = (await harness.Catalog.ListFiresAsync(null, null, Ct)).Where(f => f.JobId is null).Select(f => f.Id).ToList();
        Assert.NotEmpty(jobless); // p2, and those the failed batch had not reached yet
        var queuedBefore = harness.Queue.Backups.Count;

        harness.Clock.Now = due.AddSeconds(1) + StrandedFires.StrandedAfter - TimeSpan.FromSeconds(1);
        Assert.Equal(0, await harness.Stranded().ResolveAsync(Ct)); // a live node may still be enqueueing them
        harness.Clock.Now = due.AddSeconds(2) + StrandedFires.StrandedAfter;
        Assert.Equal(jobless.Count, await harness.Stranded().ResolveAsync(Ct));
        Assert.Equal(0, await harness.Stranded().ResolveAsync(Ct));

        var fires = await harness.Catalog.ListFiresAsync(null, null, Ct);
        Assert.Equal(3, fires.Count);
        Assert.All(fires, f => Assert.Equal((FireStatus.Enqueued, (long?)f.Id), (f.Status, harness.Queue.FireOfJob[f.JobId!])));
        Assert.Equal(jobless.Order(), harness.Queue.Backups.Skip(queuedBefore).Select(b => b.FireId!.Value).Order());
        Assert.Equal(3, harness.Queue.Backups.Count); // each fire's work queued once in all
    }

    [Fact]
    public async Task A_job_that_starts_before_its_id_is_recorded_keeps_its_fire()
    {
        var due = new DateTimeOffset(2027, 5, 1, 3, 0, 0, TimeSpan.Zero);
        await using var harness = await SchedulingHarness.CreateAsync(due.AddSeconds(1), graceSeconds: 300);
        await harness.ApplyDailyAtThreeAsync(new[] { "p1", "p2" });
        // Each job makes its fire its own before the handler's batch records the job ids (decisions §78).
        var started = new ConcurrentDictionary<string, bool>();
        harness.Queue.Enqueued = (job, fire) => started[job] = harness.Catalog.TryOwnFireAsync(fire!.Value, job, Ct).GetAwaiter().GetResult();

        var outcomes = await harness.Handler().HandleAsync([.. new[] { "p1", "p2" }.Select(n => new DueFire(n, RunKind.Backup, due))], Ct);

        Assert.All(outcomes, o => Assert.Equal(FireOutcome.Enqueued, o));
        Assert.Equal(2, started.Count);
        Assert.All(started, s => Assert.True(s.Value, s.Key));
        var fires = await harness.Catalog.ListFiresAsync(null, null, Ct);
        Assert.All(fires, f => Assert.Equal((FireStatus.Enqueued, (long?)f.Id), (f.Status, harness.Queue.FireOfJob[f.JobId!])));
        Assert.All(fires, f => Assert.True(harness.Catalog.TryOwnFireAsync(f.Id, f.JobId!, Ct).GetAwaiter().GetResult())); // still its job's
    }

    [Fact]
    public async Task A_stranded_fire_whose_original_job_starts_meanwhile_stays_with_that_job_and_the_new_job_loses()
    {
        var due = new DateTimeOffset(2027, 5, 1, 3, 0, 0, TimeSpan.Zero);
        await using var harness = await SchedulingHarness.CreateAsync(due.AddSeconds(1), graceSeconds: 300);
        await harness.ApplyAsync(TestPolicies.Yaml("web", "/srv", "0 0 3 * * ?"));
        // A node killed after Hangfire committed the job but before the catalog recorded its id (§74).
        var fire = (await harness.Catalog.TryClaimFireAsync("web", RunKind.Backup, due, FireStatus.Enqueued, null, Ct))!.Value;
        // That original job starts while the watchdog queues the fire again: it takes the fire first.
        harness.Queue.Enqueued = (_, _) => Assert.True(harness.Catalog.TryOwnFireAsync(fire, "original-job", Ct).GetAwaiter().GetResult());

        harness.Clock.Now = due.AddSeconds(2) + StrandedFires.StrandedAfter;
        Assert.Equal(1, await harness.Stranded().ResolveAsync(Ct));

        var stored = Assert.Single(await harness.Catalog.ListFiresAsync("web", null, Ct));
        Assert.Equal((FireStatus.Enqueued, "original-job"), (stored.Status, stored.JobId)); // the watchdog's record did not overwrite it
        var requeued = Assert.Single(harness.Queue.FireOfJob).Key;
        Assert.False(await harness.Catalog.TryOwnFireAsync(fire, requeued, Ct)); // so the re-queued job will not run it
        Assert.True(await harness.Catalog.TryOwnFireAsync(fire, "original-job", Ct));
    }

    [Fact]
    public async Task A_stranded_fire_found_later_than_the_grace_is_recorded_missed_and_starts_nothing()
    {
        var due = new DateTimeOffset(2027, 5, 1, 3, 0, 0, TimeSpan.Zero);
        await using var harness = await SchedulingHarness.CreateAsync(due.AddSeconds(1), graceSeconds: 60);
        await harness.ApplyAsync(TestPolicies.Yaml("web", "/srv", "0 0 3 * * ?"));
        await harness.ApplyAsync(TestPolicies.Yaml("gone", "/srv", "0 0 3 * * ?"));
        // What a node killed between the claim and the enqueue leaves behind.
        Assert.NotNull(await harness.Catalog.TryClaimFireAsync("web", RunKind.Backup, due, FireStatus.Enqueued, null, Ct));
        Assert.NotNull(await harness.Catalog.TryClaimFireAsync("gone", RunKind.Backup, due, FireStatus.Enqueued, null, Ct));
        await harness.Catalog.DeletePolicyAsync("gone", "test", Ct);

        harness.Clock.Now = due.AddMinutes(3);
        Assert.Equal(2, await harness.Stranded().ResolveAsync(Ct));

        var web = Assert.Single(await harness.Catalog.ListFiresAsync("web", null, Ct));
        Assert.Equal((FireStatus.Missed, "claimed but never queued; found 180 s late, grace 60 s"), (web.Status, web.Detail));
        var gone = Assert.Single(await harness.Catalog.ListFiresAsync("gone", null, Ct));
        Assert.Equal((FireStatus.Done, "policy deleted"), (gone.Status, gone.Detail));
        Assert.Empty(harness.Queue.Backups);
    }

    [Fact]
    public async Task Fires_missed_while_the_service_was_down_are_recorded_and_the_newest_within_grace_runs_once()
    {
        var applied = new DateTimeOffset(2027, 5, 1, 3, 0, 30, TimeSpan.Zero);
        await using var harness = await SchedulingHarness.CreateAsync(applied, graceSeconds: 90);
        await harness.ApplyAsync(TestPolicies.Yaml("web", "/srv", "0 * * * * ?"));
        harness.Clock.Now = applied.AddMinutes(10); // down from 03:00:30 to 03:10:30: fires 03:01 … 03:10 were due

        var handled = await harness.CatchUp().RunAsync(await harness.Catalog.ListPoliciesAsync(Ct), Ct);
        var again = await harness.CatchUp().RunAsync(await harness.Catalog.ListPoliciesAsync(Ct), Ct);

        var fires = await harness.Catalog.ListFiresAsync("web", null, Ct);
        Assert.Equal(10, handled);
        Assert.Equal(0, again);
        Assert.Equal(Enumerable.Range(1, 10).Select(m => new DateTimeOffset(2027, 5, 1, 3, m, 0, TimeSpan.Zero)), fires.Select(f => f.ScheduledAt));
        Assert.All(fires.Take(9), f => Assert.Equal(FireStatus.Missed, f.Status));
        Assert.Equal(FireStatus.Enqueued, fires[^1].Status);
        Assert.Single(harness.Queue.Backups);
    }

    [Fact]
    public async Task After_a_long_outage_even_the_newest_fire_is_missed()
    {
        var applied = new DateTimeOffset(2027, 5, 1, 3, 0, 30, TimeSpan.Zero);
        await using var harness = await SchedulingHarness.CreateAsync(applied, graceSeconds: 60);
        await harness.ApplyAsync(TestPolicies.Yaml("web", "/srv", "0 0 * * * ?"));
        harness.Clock.Now = applied.AddHours(5).AddMinutes(30); // newest due 08:00, now 08:30:30

        await harness.CatchUp().RunAsync(await harness.Catalog.ListPoliciesAsync(Ct), Ct);

        var fires = await harness.Catalog.ListFiresAsync("web", null, Ct);
        Assert.Equal(5, fires.Count);
        Assert.All(fires, f => Assert.Equal(FireStatus.Missed, f.Status));
        Assert.Equal("fired 1830 s late, grace 60 s", fires[^1].Detail);
        Assert.Empty(harness.Queue.Backups);
    }
}
