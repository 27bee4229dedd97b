using DrOrchestrator.Catalog;
using Quartz;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>
/// The Quartz job every cron-instant trigger fires: hands one fire per member policy, at the
/// trigger's due time, to <see cref="FireIntake"/> (claimed with the rest of the burst, each by
/// its own policy + kind + due key), and returns once every one is claimed and enqueued, found a
/// duplicate, or recorded missed.
/// </summary>
public sealed class PolicyFireJob(FireIntake intake) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var fires = FiresOf(context.MergedJobDataMap, context.ScheduledFireTimeUtc ?? context.FireTimeUtc);
        await Task.WhenAll(fires.Select(fire => intake.HandleAsync(fire, cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>The fires a cron-instant trigger's fire at <paramref name="due"/> stands for: one per member policy.</summary>
    public static IReadOnlyList<DueFire> FiresOf(JobDataMap data, DateTimeOffset due)
    {
        ArgumentNullException.ThrowIfNull(data);
        var kind = Enum.Parse<RunKind>(data.GetString(PolicyTriggers.KindKey)!);
        return [.. PolicyTriggers.ParseMembers(data.GetString(PolicyTriggers.MembersKey)).Keys.Select(policy => new DueFire(policy, kind, due))];
    }
}
