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

    /// <summary>Applies the catalog's current policies to the scheduler.</summary>
    public async Task SyncAsync(IReadOnlyList<CatalogPolicy> policies, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policies);
        var scheduler = await schedulers.GetScheduler(cancellationToken).ConfigureAwait(false);
        foreach (var stored in policies)
        {
            // Already running this text, or already refused it: nothing to do until it changes.
            _states.TryGetValue(stored.Name, out var state);
            if (state?.RunningSha256 == stored.YamlSha256 || RefusedSha(stored.Name) == stored.YamlSha256)
            {
                continue;
            }

            try
            {
                await ScheduleAsync(scheduler, stored.ToPolicy(), stored.YamlSha256, cancellationToken).ConfigureAwait(false);
                _states[stored.Name] = new PolicyScheduleState(stored.Name, stored.YamlSha256, null, null);
                _refused.TryRemove(stored.Name, out _);
            }
            catch (Exception ex) when (ex is CatalogException or SchedulerException or FormatException or TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                _refused[stored.Name] = stored.YamlSha256;
                _states[stored.Name] = new PolicyScheduleState(stored.Name, state?.RunningSha256, ex.Message, time.GetUtcNow());
                Log.PolicyRejected(logger, stored.Name, ex.Message);
            }
        }

        // Also the triggers of a shared store that no policy has any more (deleted while this node was down).
        var current = policies.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var scheduled = new HashSet<string>(_states.Keys, StringComparer.Ordinal);
        foreach (var group in PolicyTriggers.Groups)
        {
            var keys = await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(group), cancellationToken).ConfigureAwait(false);
            scheduled.UnionWith(keys.Select(k => k.Name));
        }

        foreach (var gone in scheduled.Where(n => !current.Contains(n)).ToList())
        {
            await UnscheduleAsync(scheduler, gone, cancellationToken).ConfigureAwait(false);
            _states.TryRemove(gone, out _);
            _refused.TryRemove(gone, out _);
            Log.PolicyUnscheduled(logger, gone);
        }
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

    private async Task ScheduleAsync(IScheduler scheduler, Policy policy, string textSha256, CancellationToken cancellationToken)
    {
        if (await IsScheduledAsync(scheduler, policy, textSha256, cancellationToken).ConfigureAwait(false))
        {
            return; // a shared store: another node (or this one before a restart) already scheduled this text
        }

        // Build everything first: nothing is replaced unless the whole policy builds.
        var built = new List<(RunKind Kind, PolicySchedule Schedule, ICalendar? Calendar, ITrigger Trigger)>();
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

        foreach (var kind in new[] { RunKind.Backup, RunKind.Drill }.Where(k => built.All(b => b.Kind != k)))
        {
            await scheduler.UnscheduleJob(PolicyTriggers.Key(policy.Name, kind), cancellationToken).ConfigureAwait(false);
        }

        foreach (var (kind, schedule, calendar, trigger) in built)
        {
            var calendarName = PolicyTriggers.CalendarName(policy.Name, kind);
            if (calendar is not null)
            {
                await scheduler.AddCalendar(calendarName, calendar, AddCalendarOptions.ReplacingAndUpdatingTriggers, cancellationToken).ConfigureAwait(false);
            }

            if (await scheduler.Exists(trigger.Key, cancellationToken).ConfigureAwait(false))
            {
                await scheduler.RescheduleJob(trigger.Key, trigger, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await scheduler.ScheduleJob(trigger, default, cancellationToken).ConfigureAwait(false);
            }

            if (calendar is null)
            {
                await scheduler.DeleteCalendar(calendarName, cancellationToken).ConfigureAwait(false);
            }

            var next = (await scheduler.GetTrigger(trigger.Key, cancellationToken).ConfigureAwait(false))?.NextFireTimeUtc;
            Log.PolicyScheduled(logger, policy.Name, kind.ToString(), schedule.Cron, schedule.TimeZone, next);
        }
    }

    /// <summary>True when every trigger of the policy exists, built from this very text, and no other kind lingers.</summary>
    private static async Task<bool> IsScheduledAsync(IScheduler scheduler, Policy policy, string textSha256, CancellationToken cancellationToken)
    {
        var kinds = PolicyTriggers.Schedules(policy).Select(s => s.Kind).ToHashSet();
        foreach (var kind in new[] { RunKind.Backup, RunKind.Drill })
        {
            var trigger = await scheduler.GetTrigger(PolicyTriggers.Key(policy.Name, kind), cancellationToken).ConfigureAwait(false);
            bool matches = trigger is not null && trigger.JobDataMap.TryGetValue(PolicyTriggers.TextKey, out var sha) && sha as string == textSha256;
            if (kinds.Contains(kind) != matches)
            {
                return false;
            }
        }

        return true;
    }

    private static async Task UnscheduleAsync(IScheduler scheduler, string policy, CancellationToken cancellationToken)
    {
        foreach (var kind in new[] { RunKind.Backup, RunKind.Drill })
        {
            await scheduler.UnscheduleJob(PolicyTriggers.Key(policy, kind), cancellationToken).ConfigureAwait(false);
            await scheduler.DeleteCalendar(PolicyTriggers.CalendarName(policy, kind), cancellationToken).ConfigureAwait(false);
        }
    }
}
