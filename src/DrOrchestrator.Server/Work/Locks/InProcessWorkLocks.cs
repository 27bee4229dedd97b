using System.Collections.Concurrent;

namespace DrOrchestrator.Server.Work.Locks;

/// <summary>Single node: semaphores in this process (the in-memory queue has no other node to agree with).</summary>
public sealed class InProcessWorkLocks : IWorkLocks
{
    private readonly ConcurrentDictionary<(string Resource, int Slots), SemaphoreSlim> _semaphores = new();

    public ValueTask<IAsyncDisposable?> TryAcquireAsync(string resource, CancellationToken cancellationToken)
    {
        var semaphore = Semaphore(resource, 1);
        return ValueTask.FromResult<IAsyncDisposable?>(semaphore.Wait(0, cancellationToken) ? new Release(semaphore) : null);
    }

    public async ValueTask<IAsyncDisposable> AcquireSlotAsync(string resource, int slots, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        var semaphore = Semaphore(resource, slots);
        await semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Release(semaphore);
    }

    private SemaphoreSlim Semaphore(string resource, int slots) => _semaphores.GetOrAdd((resource, slots), key => new SemaphoreSlim(key.Slots, key.Slots));

    private sealed class Release(SemaphoreSlim semaphore) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }

            return ValueTask.CompletedTask;
        }
    }
}
