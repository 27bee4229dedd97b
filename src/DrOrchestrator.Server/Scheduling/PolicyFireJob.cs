using DrOrchestrator.Catalog;
using Quartz;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>The Quartz job every policy trigger fires: hands the trigger's due time to <see cref="FireHandler"/>.</summary>
public sealed class PolicyFireJob(FireHandler handler) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = context.MergedJobDataMap;
        var policy = data.GetString(PolicyTriggers.PolicyKey)!;
        var kind = Enum.Parse<RunKind>(data.GetString(PolicyTriggers.KindKey)!);
        var due = context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        await handler.HandleAsync(policy, kind, due, cancellationToken).ConfigureAwait(false);
    }
}
