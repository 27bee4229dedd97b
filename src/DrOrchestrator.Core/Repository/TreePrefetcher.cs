using System.Collections.Concurrent;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// Loads tree blobs ahead of a depth-first walk: when the walker reaches a directory it announces
/// the subtrees it will visit, and they load in parallel (bounded by the store's recommended
/// concurrency). On a remote store each tree is a ranged GET with tens of milliseconds of
/// latency, so a sequential walk of thousands of directories would dominate restore time.
/// A tree is dropped from the cache once taken, so memory follows the walk's frontier.
/// </summary>
internal sealed class TreePrefetcher(BackupRepository repo)
{
    private readonly SemaphoreSlim _gate = new(Math.Clamp(repo.Store.Capabilities.RecommendedConcurrency, 2, 32));
    private readonly ConcurrentDictionary<BlobId, Task<List<TreeNode>>> _pending = new();

    /// <summary>Starts loading the given trees without waiting for them.</summary>
    public void Prefetch(IEnumerable<BlobId> ids, CancellationToken ct)
    {
        foreach (var id in ids)
        {
            _pending.GetOrAdd(id, i => LoadAsync(i, ct));
        }
    }

    /// <summary>The tree, from the prefetch if one is running, else loaded now.</summary>
    public Task<List<TreeNode>> TakeAsync(BlobId id, CancellationToken ct) =>
        _pending.TryRemove(id, out var task) ? task : LoadAsync(id, ct);

    private async Task<List<TreeNode>> LoadAsync(BlobId id, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await repo.LoadTreeAsync(id, ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
