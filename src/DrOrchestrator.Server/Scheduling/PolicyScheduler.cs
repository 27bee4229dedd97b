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
/// Keeps Quartz's triggers equal to the policies in the catalog. Policies whose schedules fire at
/// the same instants (kind, cron, time zone, blackout windows) share one trigger that lists them
/// (decisions §71); a policy whose stored text changed is rebuilt as a whole before anything is
/// replaced, so a change Quartz refuses (a cron that never fires, a zone this host lacks) leaves
/// the previous schedule running and is reported in <see cref="States"/>.
/// </summary>
public sealed class PolicyScheduler(ISchedulerFactory schedulers, ILogger<PolicyScheduler> logger)
{
    private readonly ConcurrentDictionary<string, PolicyScheduleState> _states = new(StringComparer.Ordinal);

    /// <summary>Per policy, the SHA-256 of the stored text Quartz refused (so it is not retried every poll).</summary>
    private readonly ConcurrentDictionary<string, string> _refused = new(StringComparer.Ordinal);

    /// <summary>Per policy and kind, the trigger it is a member of (the schedule this node last wrote or found).</summary>
    private readonly ConcurrentDictionary<(string Policy, RunKind Kind), TriggerKey> _memberOf = new();

    /// <summary>
    /// The memberships this node last wanted per trigger. A node writes a trigger only when what it
    /// wants moved since its last sync, so a node that has not yet polled a newer catalog version
    /// does not write another node's newer trigger back (null before the first sync).
    /// </summary>
    private Dictionary<TriggerKey, string>? _wanted;

    private readonly SemaphoreSlim _sync = new(1, 1);

    public IReadOnlyDictionary<string, PolicyScheduleState> States => _states;

    /// <summary>
    /// Applies the catalog's current policies to the scheduler: the triggers whose membership
    /// changed are written in one <see cref="IScheduler.ScheduleJobs"/> call (one transaction on the
    /// clustered store, decisions §67), those no policy uses any more are removed.
    /// </summary>
    public async Task SyncAsync(IReadOnlyList<CatalogPolicy> policies, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(time);
        await _sync.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SyncLockedAsync(policies, time, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sync.Release();
        }
    }

    private async Task SyncLockedAsync(IReadOnlyList<CatalogPolicy> policies, TimeProvider time, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken).ConfigureAwait(false);
        var stored = await StoredAsync(scheduler, cancellationToken).ConfigureAwait(false);
        var groups = new Dictionary<TriggerKey, GroupPlan>();
        var built = new List<(CatalogPolicy Policy, PolicyPlan Plan)>();
        foreach (var policy in policies)
        {
            PolicyPlan? plan = null;
            if (RefusedSha(policy.Name) != policy.YamlSha256)
            {
                try
                {
                    // Build everything first: nothing is replaced unless the whole policy builds.
                    plan = PolicyPlan.Build(policy.ToPolicy(), policy.YamlSha256);
                }
                catch (Exception ex) when (IsRefusal(ex))
                {
                    Refuse(policy.Name, policy.YamlSha256, ex.Message, time);
                }
            }

            if (plan is not null)
            {
                built.Add((policy, plan));
                foreach (var (kind, schedule, calendar) in plan.Schedules)
                {
                    Group(groups, PolicyTriggers.Key(kind, schedule), kind, schedule, calendar).Members[policy.Name] = plan.TextSha256;
                }
            }
            else
            {
                KeepPrevious(groups, stored, policy.Name);
            }
        }

        var wanted = groups.ToDictionary(g => g.Key, g => PolicyTriggers.MembersText(g.Value.Members));
        var write = groups.Values.Where(g => ShouldWrite(g.Key, wanted[g.Key], stored)).ToList();
        var failed = await WriteAsync(scheduler, write, stored, wanted, time, cancellationToken).ConfigureAwait(false);

        // Triggers nothing wants any more: of deleted policies, emptied schedules, and the one-trigger-per-policy layout before §71.
        var stale = stored.Triggers.Keys.Where(k => !groups.ContainsKey(k) && (_wanted is null || _wanted.ContainsKey(k) || !PolicyTriggers.Groups.Contains(k.Group))).ToList();
        if (stale.Count > 0)
        {
            await scheduler.UnscheduleJobs(stale, cancellationToken).ConfigureAwait(false);
        }

        // Blackout calendars no trigger refers to any more (a trigger another node wrote still holds its own).
        var used = groups.Values.Where(g => g.HasCalendar).Select(g => PolicyTriggers.CalendarName(g.Key))
            .Concat(stored.Triggers.Where(t => !stale.Contains(t.Key)).Select(t => t.Value.Trigger.CalendarName).OfType<string>())
            .ToHashSet(StringComparer.Ordinal);
        foreach (var name in stored.Calendars.Where(c => c.StartsWith(PolicyTriggers.CalendarPrefix, StringComparison.Ordinal) && !used.Contains(c)))
        {
            await scheduler.DeleteCalendar(name, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (policy, plan) in built)
        {
            if (plan.Schedules.Any(s => failed.Contains(PolicyTriggers.Key(s.Kind, s.Schedule))))
            {
                continue; // refused with its trigger (WriteAsync)
            }

            bool changed = _states.TryGetValue(policy.Name, out var state) is false || state.RunningSha256 != plan.TextSha256;
            Running(policy);
            foreach (var kind in Kinds)
            {
                _memberOf.TryRemove((policy.Name, kind), out _);
            }

            foreach (var (kind, schedule, _) in plan.Schedules)
            {
                var key = PolicyTriggers.Key(kind, schedule);
                _memberOf[(policy.Name, kind)] = key;
                if (changed)
                {
                    Log.PolicyScheduled(logger, plan.Name, kind.ToString(), schedule.Cron, schedule.TimeZone, stored.Triggers.GetValueOrDefault(key)?.NextFireTimeUtc);
                }
            }
        }

        _wanted = wanted.Where(w => !failed.Contains(w.Key)).ToDictionary();
        var current = policies.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in _states.Keys.Where(n => !current.Contains(n)).ToList())
        {
            _states.TryRemove(name, out _);
            _refused.TryRemove(name, out _);
            foreach (var kind in Kinds)
            {
                _memberOf.TryRemove((name, kind), out _);
            }

            Log.PolicyUnscheduled(logger, name);
        }
    }

    private static GroupPlan Group(Dictionary<TriggerKey, GroupPlan> groups, TriggerKey key, RunKind kind, PolicySchedule? schedule, ICalendar? calendar)
    {
        if (!groups.TryGetValue(key, out var group))
        {
            groups[key] = group = new GroupPlan(key, kind, schedule, calendar);
        }

        return group;
    }

    /// <summary>
    /// A policy whose current text does not build keeps the schedule it had: its memberships as the
    /// store holds them (written by this node or, before a restart, by any).
    /// </summary>
    private void KeepPrevious(Dictionary<TriggerKey, GroupPlan> groups, StoredSchedule stored, string policy)
    {
        foreach (var (key, trigger) in stored.Triggers)
        {
            if (PolicyTriggers.Groups.Contains(key.Group) && trigger.Members.TryGetValue(policy, out var sha))
            {
                var kind = Enum.Parse<RunKind>(trigger.Trigger.JobDataMap.GetString(PolicyTriggers.KindKey)!);
                var group = Group(groups, key, kind, null, null);
                group.Members[policy] = sha;
                group.Stored ??= trigger.Trigger;
                _memberOf[(policy, kind)] = key;
            }
        }
    }

    /// <summary>A trigger is written when the store's membership differs from what this node wants, and this node's wish moved (or it has not synced yet).</summary>
    private bool ShouldWrite(TriggerKey key, string wanted, StoredSchedule stored)
    {
        bool storedEqual = stored.Triggers.TryGetValue(key, out var held) && held.MembersText == wanted;
        return !storedEqual && (_wanted is null || !_wanted.TryGetValue(key, out var before) || before != wanted);
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
    /// Calendars first (a trigger must find its own), then every trigger is stored or replaced in
    /// one call. When Quartz refuses the whole, each trigger is tried alone and the members that
    /// brought a refused one are refused (the rest keep running); returns the refused triggers.
    /// </summary>
    private async Task<HashSet<TriggerKey>> WriteAsync(
        IScheduler scheduler, List<GroupPlan> groups, StoredSchedule stored, Dictionary<TriggerKey, string> wanted, TimeProvider time, CancellationToken cancellationToken)
    {
        var failed = new HashSet<TriggerKey>();
        if (groups.Count == 0)
        {
            return failed;
        }

        try
        {
            await WriteGroupsAsync(scheduler, groups, stored, wanted, time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (groups.Count > 1)
        {
            foreach (var group in groups)
            {
                try
                {
                    await WriteGroupsAsync(scheduler, [group], stored, wanted, time, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsRefusal(ex))
                {
                    RefuseGroup(group, stored, ex.Message, time, failed);
                }
            }
        }
        catch (Exception ex) when (IsRefusal(ex))
        {
            RefuseGroup(groups[0], stored, ex.Message, time, failed);
        }

        return failed;
    }

    private void RefuseGroup(GroupPlan group, StoredSchedule stored, string problem, TimeProvider time, HashSet<TriggerKey> failed)
    {
        failed.Add(group.Key);
        var held = stored.Triggers.TryGetValue(group.Key, out var trigger) ? trigger.Members : [];
        foreach (var (name, sha) in group.Members.Where(m => !held.TryGetValue(m.Key, out var was) || was != m.Value))
        {
            Refuse(name, sha, problem, time);
        }
    }

    private static async Task WriteGroupsAsync(
        IScheduler scheduler, IReadOnlyList<GroupPlan> groups, StoredSchedule stored, Dictionary<TriggerKey, string> wanted, TimeProvider time, CancellationToken cancellationToken)
    {
        foreach (var group in groups.Where(g => g.Calendar is not null))
        {
            await scheduler.AddCalendar(PolicyTriggers.CalendarName(group.Key), group.Calendar!, AddCalendarOptions.ReplacingAndUpdatingTriggers, cancellationToken).ConfigureAwait(false);
        }

        var now = time.GetUtcNow();
        var triggers = groups.Select(group =>
        {
            // A trigger rewritten while its instant is due but not yet fired keeps that instant:
            // replacing it starting "now" would drop the whole group's fire (the claim still stops
            // a fire the old trigger already made from running twice).
            var held = stored.Triggers.GetValueOrDefault(group.Key)?.Trigger.NextFireTimeUtc;
            var startAt = held is { } pending && pending <= now ? pending : now;
            return group.Schedule is { } schedule
                ? PolicyTriggers.Build(group.Kind, schedule, group.Calendar is null ? null : PolicyTriggers.CalendarName(group.Key), startAt, wanted[group.Key])
                : group.Stored!.GetTriggerBuilder().UsingJobData(PolicyTriggers.MembersKey, wanted[group.Key]).StartAt(startAt).Build();
        }).ToList();
        await scheduler.ScheduleJobs(
            new Dictionary<IJobDetail, IReadOnlyCollection<ITrigger>> { [PolicyTriggers.FireJobDetail()] = triggers }, ScheduleJobOptions.Replacing, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the store holds: every trigger of the fire job with its members, and the calendar names — two reads, not two per policy.</summary>
    private static async Task<StoredSchedule> StoredAsync(IScheduler scheduler, CancellationToken cancellationToken)
    {
        var triggers = await scheduler.GetTriggersOfJob(PolicyTriggers.FireJob, cancellationToken).ConfigureAwait(false);
        var calendars = await scheduler.GetCalendarNames(cancellationToken).ConfigureAwait(false);
        return new StoredSchedule(
            triggers.ToDictionary(t => t.Key, t =>
            {
                var text = t.JobDataMap.TryGetValue(PolicyTriggers.MembersKey, out var members) ? members as string : null;
                return new StoredTrigger(t, PolicyTriggers.ParseMembers(text), text ?? "");
            }),
            calendars.ToHashSet(StringComparer.Ordinal));
    }

    private sealed record StoredTrigger(ITrigger Trigger, Dictionary<string, string> Members, string MembersText)
    {
        public DateTimeOffset? NextFireTimeUtc => Trigger.NextFireTimeUtc;
    }

    private sealed record StoredSchedule(Dictionary<TriggerKey, StoredTrigger> Triggers, HashSet<string> Calendars);

    /// <summary>
    /// One cron-instant trigger to be: its schedule (null when only a refused policy keeps it, then
    /// <see cref="Stored"/> is rewritten with the new members) and its member policies.
    /// </summary>
    private sealed class GroupPlan(TriggerKey key, RunKind kind, PolicySchedule? schedule, ICalendar? calendar)
    {
        public TriggerKey Key { get; } = key;
        public RunKind Kind { get; } = kind;
        public PolicySchedule? Schedule { get; private set; } = schedule;
        public ICalendar? Calendar { get; private set; } = calendar;
        public ITrigger? Stored { get; set; }
        public SortedDictionary<string, string> Members { get; } = new(StringComparer.Ordinal);

        public bool HasCalendar => Schedule is not null ? Schedule.Blackouts.Count > 0 : Stored?.CalendarName is not null;
    }

    /// <summary>A policy's schedules and calendars, built and checked before anything is written.</summary>
    private sealed record PolicyPlan(string Name, string TextSha256, IReadOnlyList<(RunKind Kind, PolicySchedule Schedule, ICalendar? Calendar)> Schedules)
    {
        public static PolicyPlan Build(Policy policy, string textSha256)
        {
            var built = new List<(RunKind, PolicySchedule, ICalendar?)>();
            foreach (var (kind, schedule) in PolicyTriggers.Schedules(policy))
            {
                var calendar = PolicyTriggers.BlackoutCalendar(schedule);
                var trigger = PolicyTriggers.Build(kind, schedule, calendar is null ? null : "check");
                if (((IOperableTrigger)trigger).ComputeFirstFireTimeUtc(calendar) is null)
                {
                    throw new FormatException($"{(kind == RunKind.Backup ? "schedule" : "drill")}.cron '{schedule.Cron}' never fires");
                }

                built.Add((kind, schedule, calendar));
            }

            return new PolicyPlan(policy.Name, textSha256, built);
        }
    }

    private string? RefusedSha(string name) => _refused.TryGetValue(name, out var sha) ? sha : null;

    /// <summary>The trigger the policy's schedule of <paramref name="kind"/> is a member of on this node, or null.</summary>
    public TriggerKey? TriggerOf(string policy, RunKind kind) => _memberOf.TryGetValue((policy, kind), out var key) ? key : null;

    /// <summary>The next time the policy's trigger of <paramref name="kind"/> fires, or null (not scheduled, or never again).</summary>
    public async Task<DateTimeOffset?> NextFireAsync(string policy, RunKind kind, CancellationToken cancellationToken)
    {
        if (!_memberOf.TryGetValue((policy, kind), out var key))
        {
            return null;
        }

        var scheduler = await schedulers.GetScheduler(cancellationToken).ConfigureAwait(false);
        var trigger = await scheduler.GetTrigger(key, cancellationToken).ConfigureAwait(false);
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
                var trigger = (IOperableTrigger)PolicyTriggers.Build(kind, schedule, calendar is null ? null : "check");
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
