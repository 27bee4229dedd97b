using DrOrchestrator.Core.Storage.Composite;
using DrOrchestrator.Orchestration.Contracts;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.Targets;

/// <summary>
/// `pool rebalance`: after a pool's membership changed, copies each pack to the members it is
/// now placed on, then drops the copies no longer placed — only the packs whose placement moved.
/// </summary>
public sealed class PoolRebalanceService
{
    private readonly TargetRegistry _targets;
    private readonly ILoggerFactory _loggerFactory;

    public PoolRebalanceService(TargetRegistry targets, ILoggerFactory loggerFactory)
    {
        _targets = targets;
        _loggerFactory = loggerFactory;
    }

    public async Task<PoolRebalanceInfo> RebalanceAsync(string pool, CancellationToken cancellationToken)
    {
        var store = _targets.OpenPool(pool);
        var report = await new PoolRebalancer(_loggerFactory.CreateLogger<PoolRebalancer>())
            .RebalanceAsync(store, null, cancellationToken).ConfigureAwait(false);
        return PoolRebalanceInfo.From(pool, report);
    }
}
