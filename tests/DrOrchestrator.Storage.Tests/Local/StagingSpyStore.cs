using System.Collections.Concurrent;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Storage.Tests.Local;

/// <summary>
/// A transparent wrapper around a staging store that records which way every write went: puts
/// (a copy of the caller's stream) or staged commits (written once, in place).
/// </summary>
internal sealed class StagingSpyStore(IStagedObjectStore inner) : IStagedObjectStore
{
    private int _stagesBegun;
    private int _stagesDiscarded;
    private int _commits;

    public ConcurrentQueue<string> PutKeys { get; } = new();

    public ConcurrentQueue<string> CommittedKeys { get; } = new();

    public int StagesBegun => Volatile.Read(ref _stagesBegun);

    public int StagesDiscarded => Volatile.Read(ref _stagesDiscarded);

    /// <summary>Called with the 1-based number of each commit before it runs; may throw to fail the commit.</summary>
    public Action<int>? BeforeCommit { get; set; }

    public string Description => inner.Description;

    public ObjectStoreCapabilities Capabilities => inner.Capabilities;

    public IObjectStage BeginStage()
    {
        Interlocked.Increment(ref _stagesBegun);
        return new Stage(this, inner.BeginStage());
    }

    public Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        PutKeys.Enqueue(key);
        return inner.PutAsync(key, content, cancellationToken);
    }

    public Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken) => inner.GetAsync(key, range, cancellationToken);

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken) => inner.StatAsync(key, cancellationToken);

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    private sealed class Stage(StagingSpyStore spy, IObjectStage stage) : IObjectStage
    {
        private bool _committed;

        public Stream Content => stage.Content;

        public async Task CommitAsync(string key, CancellationToken cancellationToken)
        {
            spy.BeforeCommit?.Invoke(Interlocked.Increment(ref spy._commits));
            await stage.CommitAsync(key, cancellationToken);
            _committed = true;
            spy.CommittedKeys.Enqueue(key);
        }

        public void Dispose()
        {
            if (!_committed)
            {
                Interlocked.Increment(ref spy._stagesDiscarded);
            }

            stage.Dispose();
        }
    }
}
