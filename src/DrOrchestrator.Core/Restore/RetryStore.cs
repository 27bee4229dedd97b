using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Composite;

namespace DrOrchestrator.Core.Restore;

/// <summary>
/// The second chance for blobs a single-target restore could not read from ranged reads: the
/// same repository read through <see cref="FallbackObjectStore"/> and whole, verified packs
/// (<see cref="VerifiedPackReadStore"/>). For a pool target that means every member holding a
/// copy of the pack is tried; for a plain store, the pack is read once more and checked against
/// its SHA-256 (a fault in transit is healed, a damaged object is confirmed). Built only when
/// needed; a restore that already reads verified packs from several copies gets no retry.
/// </summary>
internal sealed class RetryStore(IObjectStore store) : IDisposable
{
    private readonly Lock _lock = new();
    private VerifiedPackReadStore? _verified;

    /// <summary>False when the store already reads verified whole packs with fallback: a retry would read the same copies again.</summary>
    public bool Available => store is not VerifiedPackReadStore;

    public IObjectStore Get()
    {
        lock (_lock)
        {
            return _verified ??= new VerifiedPackReadStore(new FallbackObjectStore([store]));
        }
    }

    public void Dispose() => _verified?.Dispose();
}
