using DrOrchestrator.Orchestration.Monitoring;
using DrOrchestrator.Server.Work.Locks;

namespace DrOrchestrator.Server.Monitoring;

/// <summary>
/// The alerting lease as a work lock held for the life of the process: in a cluster a PostgreSQL
/// session advisory lock, released by PostgreSQL when the node's connection goes (a kill -9
/// included), so no lease outlives its holder and none has to be renewed.
/// </summary>
public sealed class WorkLockAlertingLease(IWorkLocks locks) : IAlertingLease, IAsyncDisposable
{
    public const string Resource = "monitoring:alerts";
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IAsyncDisposable? _held;

    public async ValueTask<bool> HoldAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _held ??= await locks.TryAcquireAsync(Resource, cancellationToken).ConfigureAwait(false);
            return _held is not null;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_held is not null)
        {
            await _held.DisposeAsync().ConfigureAwait(false);
            _held = null;
        }

        _gate.Dispose();
    }
}
