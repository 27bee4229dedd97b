namespace DrOrchestrator.Core.Storage;

/// <summary>
/// The storage seam: the only thing the repository engine knows about a target.
/// </summary>
/// <remarks>
/// Every implementation guarantees:
/// <list type="bullet">
/// <item><b>Atomic put.</b> After <see cref="PutAsync"/> returns, the whole object is durable and
/// readable; if it throws or is cancelled, either the previous state or the whole new object is
/// visible — never a partial object under the final key.</item>
/// <item><b>Read-after-write.</b> A completed put is visible to <see cref="GetAsync"/>,
/// <see cref="StatAsync"/> and <see cref="ListAsync"/> of the same process at once.</item>
/// <item><b>One not-found error.</b> A missing key surfaces as <see cref="ObjectNotFoundException"/>
/// from <see cref="GetAsync"/>; <see cref="StatAsync"/> returns null; <see cref="DeleteAsync"/>
/// of a missing key is not an error.</item>
/// <item><b>Typed failures.</b> Every other failure is an <see cref="ObjectStoreException"/> whose
/// <see cref="ObjectStoreException.IsTransient"/> says whether a retry may help. Messages name the
/// store and the key, never a credential.</item>
/// </list>
/// Keys are '/'-separated relative paths of [A-Za-z0-9._-] segments (the repository only uses
/// such keys). Retries, throttling and logging are decorators, not part of implementations.
/// </remarks>
public interface IObjectStore
{
    /// <summary>
    /// The name messages give the store: the configured target's name ("s3d") when it was opened
    /// for a target, else its <see cref="Location"/>. Never contains secrets.
    /// </summary>
    string Description { get; }

    /// <summary>
    /// Where the data lives, e.g. "local:/srv/repo" or "s3:bucket/prefix@host", for the few
    /// places where that helps an admin (target init and test, the runbook). Never contains secrets.
    /// </summary>
    string Location => Description;

    ObjectStoreCapabilities Capabilities { get; }

    /// <summary>
    /// Stores <paramref name="content"/> (read from its current position to its end) under
    /// <paramref name="key"/>, replacing any existing object. Does not dispose the stream.
    /// When the stream is seekable a retrying caller may rewind it and call again.
    /// </summary>
    Task PutAsync(string key, Stream content, CancellationToken cancellationToken);

    /// <summary>
    /// Opens the object (or the given byte range of it) for reading. The caller disposes the stream.
    /// A range past the end is clamped to the object's end.
    /// </summary>
    /// <exception cref="ObjectNotFoundException">The key does not exist.</exception>
    Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken);

    /// <summary>Size and modification time of the object, or null when it does not exist.</summary>
    Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every object whose key starts with <paramref name="prefix"/> ("" lists all), in no particular order.</summary>
    IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Removes the object. Removing a missing key succeeds.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

/// <summary>A byte range [Offset, Offset + Length) of an object.</summary>
public readonly record struct ByteRange(long Offset, long Length)
{
    public long End => Offset + Length;
}

public sealed record ObjectInfo(string Key, long Size, DateTimeOffset? LastModified);

/// <summary>What a backend can do; the engine adapts (e.g. concurrency of uploads) to it.</summary>
/// <param name="MaxObjectSize">Largest single object, or null when unlimited for our purposes.</param>
/// <param name="RecommendedConcurrency">How many puts/gets in flight suit this backend.</param>
/// <param name="IsLocal">True when the data lives on this machine's file system (no network cost).</param>
public sealed record ObjectStoreCapabilities(long? MaxObjectSize, int RecommendedConcurrency, bool IsLocal);
