using System.Collections.Concurrent;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using Microsoft.Extensions.Logging;
using Quartz;
using Quartz.Extensibility;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>What the service knows about one policy's schedule: the text it runs, and why a newer one was refused.</summary>
public sealed record PolicyScheduleState(string Name, string? RunningSha256, string? Problem, DateTimeOffset? ProblemAt);

/// <summary>
/// Keeps Quartz's triggers equal to the policies in the catalog. A policy whose stored text
/// changed is rebuilt as a whole (triggers and blackout calendars) before anything is replaced,
/// so a change Quartz refuses (a cron that never fires, a zone this host lacks) leaves the
/// previous schedule running and is reported in <see cref="States"/>.
/// </summary>
public sealed class PolicyScheduler(ISchedulerFactory schedulers, ILogger<PolicyScheduler> logger)
{
    private readonly ConcurrentDictionary<string, PolicyScheduleState> _states = new(StringComparer.Ordinal);

    /// <summary>Per policy, the SHA-256 of the stored text Quartz refused (so it is not retried every poll).</summary>
    private readonly ConcurrentDictionary<string, string> _refused = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, PolicyScheduleState> States => _states;

    /// <summary>
    /// Applies the catalog's current policies to the scheduler. The changed ones are written in
    /// one <see cref="IScheduler.ScheduleJobs"/> call — one transaction on the clustered store,
    /// where one policy at a time cost ~7 transactions each and 179–238 s for 1,000 policies
    /// (decisions §67); what the store already holds is read once, not per policy.
    /// </summary>
    public async Task SyncAsync(IReadOnlyList<CatalogPolicy> policies, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policies);
        var scheduler = await schedulers.GetScheduler(cancellationToken).ConfigureAwait(false);
        var stored = await StoredAsync(scheduler, cancellationToken).ConfigureAwait(false);
        var plans = new List<PolicyPlan>();
        foreach (var policy in policies)
        {
            // Already running this text, or already refused it: nothing to do until it changes.
            _states.TryGetValue(policy.Name, out var state);
            if (state?.RunningSha256 == policy.YamlSha256 || RefusedSha(policy.Name) == policy.YamlSha256)
            {
                continue;
            }

            try
            {
                // Build everything first: nothing is replaced unless the whole policy builds.
                var plan = PolicyPlan.Build(policy.ToPolicy(), policy.YamlSha256);
                if (plan.IsIn(stored))
                {
                    Running(policy); // a shared store: another node (or this one before a restart) already scheduled this text
                }
                else
                {
                    plans.Add(plan);
                }
            }
            catch (Exception ex) when (IsRefusal(ex))
            {
                Refuse(policy.Name, policy.YamlSha256, ex.Message, time);
            }
        }

        await ScheduleAsync(scheduler, plans, policies, stored, time, cancellationToken).ConfigureAwait(false);

        // Also the triggers of a shared store that no policy has any more (deleted while this node was down).
        var current = policies.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var gone = _states.Keys.Concat(stored.Triggers.Keys.Select(k => k.Name)).Where(n => !current.Contains(n)).Distinct(StringComparer.Ordinal).ToList();
        if (gone.Count > 0)
        {
            await scheduler.UnscheduleJobs([.. gone.SelectMany(n => Kinds.Select(k => PolicyTriggers.Key(n, k)))], cancellationToken).ConfigureAwait(false);
            await DeleteCalendarsAsync(scheduler, stored, gone.SelectMany(n => Kinds.Select(k => PolicyTriggers.CalendarName(n, k))), cancellationToken).ConfigureAwait(false);
        }

        foreach (var name in gone)
        {
            _states.TryRemove(name, out _);
            _refused.TryRemove(name, out _);
            Log.PolicyUnscheduled(logger, name);
        }
    }

    private static readonly RunKind[] Kinds = [RunKind.Backup, RunKind.Drill];

    private static bool IsRefusal(Exception ex) =>
        ex is CatalogException or SchedulerException or FormatException or TimeZoneNotFoundException or InvalidTimeZoneException;

    private void Running(CatalogPolicy policy)
    {
        _states[policy.Name] = new PolicyScheduleState(policy.Name, policy.YamlSha256, null, null);
        _refused.TryRemove(policy.Name, out _);
    }

    private void Refuse(string name, string sha256, string problem, TimeProvider time)
    {
        _refused[name] = sha256;
        _states.TryGetValue(name, out var state);
        _states[name] = new PolicyScheduleState(name, state?.RunningSha256, problem, time.GetUtcNow());
        Log.PolicyRejected(logger, name, problem);
    }

    /// <summary>
    /// Writes the plans in one go; when Quartz refuses the whole (one policy's trigger, e.g. a
    /// calendar that makes it never fire), each is tried alone so only the culprit is refused.
    /// </summary>
    private async Task ScheduleAsync(
        IScheduler scheduler, List<PolicyPlan> plans, IReadOnlyList<CatalogPolicy> policies, StoredSchedule stored, TimeProvider time, CancellationToken cancellationToken)
    {
        if (plans.Count == 0)
        {
            return;
        }

        var byName = policies.ToDictionary(p => p.Name, StringComparer.Ordinal);
        try
        {
            await WriteAsync(scheduler, plans, stored, cancellationToken).ConfigureAwait(false);
            plans.ForEach(plan => Scheduled(byName[plan.Name], plan));
        }
        catch (SchedulerException) when (plans.Count > 1)
        {
            foreach (var plan in plans)
            {
                try
                {
                    await WriteAsync(scheduler, [plan], stored, cancellationToken).ConfigureAwait(false);
                    Scheduled(byName[plan.Name], plan);
                }
                catch (Exception ex) when (IsRefusal(ex))
                {
                    Refuse(plan.Name, plan.TextSha256, ex.Message, time);
                }
            }
        }
        catch (Exception ex) when (IsRefusal(ex))
        {
            Refuse(plans[0].Name, plans[0].TextSha256, ex.Message, time);
        }
    }

    private void Scheduled(CatalogPolicy policy, PolicyPlan plan)
    {
        Running(policy);
        foreach (var (kind, schedule, _, trigger) in plan.Triggers)
        {
            Log.PolicyScheduled(logger, plan.Name, kind.ToString(), schedule.Cron, schedule.TimeZone, trigger.NextFireTimeUtc);
        }
    }

    /// <summary>
    /// Calendars first (a trigger must find its own), then the kinds a policy no longer has are
    /// unscheduled, then every trigger is stored or replaced in one call, then calendars nothing
    /// uses any more are deleted.
    /// </summary>
    private static async Task WriteAsync(IScheduler scheduler, IReadOnlyList<PolicyPlan> plans, StoredSchedule stored, CancellationToken cancellationToken)
    {
        foreach (var plan in plans)
        {
            foreach (var (kind, _, calendar, _) in plan.Triggers.Where(t => t.Calendar is not null))
            {
                await scheduler.AddCalendar(PolicyTriggers.CalendarName(plan.Name, kind), calendar!, AddCalendarOptions.ReplacingAndUpdatingTriggers, cancellationToken).ConfigureAwait(false);
            }
        }

        var dropped = plans.SelectMany(plan => Kinds.Where(k => plan.Triggers.All(t => t.Kind != k)).Select(k => PolicyTriggers.Key(plan.Name, k)))
            .Where(stored.Triggers.ContainsKey).ToList();
        if (dropped.Count > 0)
        {
            await scheduler.UnscheduleJobs(dropped, cancellationToken).ConfigureAwait(false);
        }

        var triggers = plans.SelectMany(p => p.Triggers.Select(t => t.Trigger)).ToList();
        await scheduler.ScheduleJobs(
            new Dictionary<IJobDetail, IReadOnlyCollection<ITrigger>> { [PolicyTriggers.FireJobDetail()] = triggers }, ScheduleJobOptions.Replacing, cancellationToken).ConfigureAwait(false);
        var unused = plans.SelectMany(plan => Kinds.Where(k => plan.Triggers.All(t => t.Kind != k || t.Calendar is null))
            .Select(k => PolicyTriggers.CalendarName(plan.Name, k)));
        await DeleteCalendarsAsync(scheduler, stored, unused, cancellationToken).ConfigureAwait(false);
    }

    private static async Task DeleteCalendarsAsync(IScheduler scheduler, StoredSchedule stored, IEnumerable<string> names, CancellationToken cancellationToken)
    {
        foreach (var name in names.Where(stored.Calendars.Contains))
        {
            await scheduler.DeleteCalendar(name, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>What the store holds for every policy: each trigger's text SHA-256, and the calendar names — two reads, not two per policy.</summary>
    private static async Task<StoredSchedule> StoredAsync(IScheduler scheduler, CancellationToken cancellationToken)
    {
        var triggers = await scheduler.GetTriggersOfJob(PolicyTriggers.FireJob, cancellationToken).ConfigureAwait(false);
        var calendars = await scheduler.GetCalendarNames(cancellationToken).ConfigureAwait(false);
        return new StoredSchedule(
            triggers.ToDictionary(t => t.Key, t => t.JobDataMap.TryGetValue(PolicyTriggers.TextKey, out var sha) ? sha as string : null),
            calendars.ToHashSet(StringComparer.Ordinal));
    }

    private sealed record StoredSchedule(Dictionary<TriggerKey, string?> Triggers, HashSet<string> Calendars);

    /// <summary>A policy's triggers and calendars, built and checked before anything is written.</summary>
    private sealed record PolicyPlan(string Name, string TextSha256, IReadOnlyList<(RunKind Kind, PolicySchedule Schedule, ICalendar? Calendar, ITrigger Trigger)> Triggers)
    {
        public static PolicyPlan Build(Policy policy, string textSha256)
        {
            var built = new List<(RunKind, PolicySchedule, ICalendar?, ITrigger)>();
            foreach (var (kind, schedule) in PolicyTriggers.Schedules(policy))
            {
                var calendar = PolicyTriggers.BlackoutCalendar(schedule);
                var trigger = PolicyTriggers.Build(policy.Name, kind, schedule, calendar is null ? null : PolicyTriggers.CalendarName(policy.Name, kind), textSha256: textSha256);
                if (((IOperableTrigger)trigger).ComputeFirstFireTimeUtc(calendar) is null)
                {
                    throw new FormatException($"{(kind == RunKind.Backup ? "schedule" : "drill")}.cron '{schedule.Cron}' never fires");
                }

                built.Add((kind, schedule, calendar, trigger));
            }

            return new PolicyPlan(policy.Name, textSha256, built);
        }

        /// <summary>True when every trigger of the policy is stored, built from this very text, and no other kind lingers.</summary>
        public bool IsIn(StoredSchedule stored) => Kinds.All(kind =>
        {
            bool matches = stored.Triggers.TryGetValue(PolicyTriggers.Key(Name, kind), out var sha) && sha == TextSha256;
            return Triggers.Any(t => t.Kind == kind) == matches;
        });
    }

    private string? RefusedSha(string name) => _refused.TryGetValue(name, out var sha) ? sha : null;

    /// <summary>The next time the policy's trigger of <paramref name="kind"/> fires, or null (not scheduled, or never again).</summary>
    public async Task<DateTimeOffset?> NextFireAsync(string policy, RunKind kind, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken).ConfigureAwait(false);
        var trigger = await scheduler.GetTrigger(PolicyTriggers.Key(policy, kind), cancellationToken).ConfigureAwait(false);
        return trigger?.NextFireTimeUtc;
    }

    /// <summary>
    /// Checks that Quartz accepts every schedule of <paramref name="policy"/> and that each fires at
    /// least once more; returns the problem (field + reason) or null. Used before an apply is stored.
    /// </summary>
    public static (string Field, string Message)? Check(Policy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(policy);
        foreach (var (kind, schedule) in PolicyTriggers.Schedules(policy))
        {
            var field = kind == RunKind.Backup ? "schedule.cron" : "drill.cron";
            try
            {
                var calendar = PolicyTriggers.BlackoutCalendar(schedule);
                var trigger = (IOperableTrigger)PolicyTriggers.Build(policy.Name, kind, schedule, calendar is null ? null : "check");
                if (trigger.ComputeFirstFireTimeUtc(calendar) is null || trigger.GetFireTimeAfter(now) is null)
                {
                    return (field, $"'{schedule.Cron}' never fires (after the blackout windows)");
                }
            }
            catch (FormatException ex)
            {
                return (field, $"'{schedule.Cron}': {ex.Message}");
            }
        }

        return null;
    }
}
