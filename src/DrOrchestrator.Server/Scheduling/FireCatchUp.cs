using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using Quartz;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>
/// Fires nobody handled — the service was down, or Quartz dropped a fire it saw too late — are
/// found from the catalog: every due time of the policy's cron (outside its blackout windows)
/// after its last recorded fire (or its last apply) up to <see cref="QuartzSlack"/> ago. The newest is judged like any fire
/// (runs once now when within the grace, else missed); the older ones are recorded as missed,
/// since one run covers them all.
/// </summary>
public sealed class FireCatchUp(CatalogStore catalog, FireHandler handler, KnownFires known, TimeProvider time)
{
    /// <summary>At most this many missed fires are recorded per trigger per pass (a year-long outage of a per-minute cron is not 500k rows).</summary>
    public const int MaxRecordedPerPass = 1000;

    /// <summary>
    /// Only due times at least this old are judged: a younger one is Quartz's to fire (it may be a
    /// few seconds late on a busy node, or on another node of a cluster), and claiming it here
    /// would record a fire Quartz is about to run as superseded.
    /// </summary>
    public static readonly TimeSpan QuartzSlack = TimeSpan.FromSeconds(30);

    public async Task<int> RunAsync(IReadOnlyList<CatalogPolicy> policies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policies);
        int handled = 0;
        var until = time.GetUtcNow() - QuartzSlack;
        foreach (var stored in policies)
        {
            Policy policy;
            try
            {
                policy = stored.ToPolicy();
            }
            catch (CatalogException)
            {
                continue; // reported by the scheduler
            }

            foreach (var (kind, schedule) in PolicyTriggers.Schedules(policy))
            {
                // A fire this node claimed is in the catalog: when none is due after it, none is
                // due after the catalog's last either, and the query is skipped (KnownFires).
                if (known.Last(policy.Name, kind) is { } seen && seen > stored.AppliedAt && DueTimes(schedule, seen, until).Count == 0)
                {
                    continue;
                }

                var last = await catalog.GetLastFireAsync(policy.Name, kind, cancellationToken).ConfigureAwait(false);
                var since = last is { } l && l > stored.AppliedAt ? l : stored.AppliedAt;
                var due = DueTimes(schedule, since, until);
                for (int i = 0; i < due.Count; i++)
                {
                    if (i < due.Count - 1)
                    {
                        await catalog.TryClaimFireAsync(policy.Name, kind, due[i], FireStatus.Missed, "superseded: a later fire was due when the service caught up", cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await handler.HandleAsync(policy.Name, kind, due[i], cancellationToken).ConfigureAwait(false);
                    }

                    handled++;
                }
            }
        }

        return handled;
    }

    /// <summary>The schedule's due times in (<paramref name="after"/>, <paramref name="until"/>], blackout windows excluded; the newest <see cref="MaxRecordedPerPass"/>.</summary>
    public static IReadOnlyList<DateTimeOffset> DueTimes(PolicySchedule schedule, DateTimeOffset after, DateTimeOffset until)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var cron = new CronExpression(schedule.Cron, TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone));
        var calendar = PolicyTriggers.BlackoutCalendar(schedule);
        var due = new Queue<DateTimeOffset>();
        for (var next = cron.GetNextValidTimeAfter(after); next is { } t && t <= until; next = cron.GetNextValidTimeAfter(t))
        {
            if (calendar is null || calendar.IsTimeIncluded(t))
            {
                due.Enqueue(t);
                if (due.Count > MaxRecordedPerPass)
                {
                    due.Dequeue();
                }
            }
        }

        return [.. due];
    }
}
