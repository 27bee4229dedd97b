namespace DrOrchestrator.Server.Work;

/// <summary>
/// The node's places for work (<see cref="Configuration.ServerOptions.WorkerCount"/>): Hangfire has
/// more workers than that (<see cref="Configuration.ServerOptions.QueueWorkers"/>), so a burst of
/// scheduled jobs leaves the queue quickly, and each job waits here for a place before it does its
/// work — in the tracker as phase <see cref="WaitingPhase"/>, cancellable, and re-queued by a shutdown.
/// </summary>
public sealed class WorkSlots(int count) : IDisposable
{
    public const string WaitingPhase = "waiting for a work slot";

    private readonly SemaphoreSlim _slots = new(count, count);

    public int Count { get; } = count;

    /// <summary>Waits for a place; disposing the result gives it back.</summary>
    public async Task<IDisposable> AcquireAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Slot(_slots);
    }

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
