using DrOrchestrator.Catalog;
using Quartz;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>The Quartz job every policy trigger fires: hands the trigger's due time to <see cref="FireIntake"/> (claimed with the rest of its burst).</summary>
public sealed class PolicyFireJob(FireIntake intake) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = context.MergedJobDataMap;
        var policy = data.GetString(PolicyTriggers.PolicyKey)!;
        var kind = Enum.Parse<RunKind>(data.GetString(PolicyTriggers.KindKey)!);
        var due = context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        await intake.HandleAsync(new DueFire(policy, kind, due), cancellationToken).ConfigureAwait(false);
    }
}
