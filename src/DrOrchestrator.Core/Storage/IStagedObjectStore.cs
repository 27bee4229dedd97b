namespace DrOrchestrator.Core.Storage;

/// <summary>
/// Optional capability of an <see cref="IObjectStore"/> whose objects are files on this machine
/// ("file staging"): a writer builds an object directly in a staging file on the store's own file
/// system and later commits it under a key, so the bytes are written once. Through
/// <see cref="IObjectStore.PutAsync"/> they would be written twice: once wherever the caller built
/// them, once more when the store copies the stream into its own temp file.
/// </summary>
/// <remarks>
/// A committed stage has exactly the guarantees of a completed put (atomic, durable, replaces any
/// existing object, read-after-write). A staging file is never visible: it is not listed and no key
/// names it. Find the capability with <see cref="ObjectStaging.Find"/>, which also looks through
/// decorators that are transparent for writes; never type-test a store directly.
/// </remarks>
public interface IStagedObjectStore : IObjectStore
{
    /// <summary>Creates a new, empty staging file. The caller disposes the stage (which discards it unless committed).</summary>
    IObjectStage BeginStage();
}

/// <summary>
/// One staging file of an <see cref="IStagedObjectStore"/>. Not thread-safe: one writer, then one
/// <see cref="CommitAsync"/> or a <see cref="IDisposable.Dispose"/> that discards it.
/// </summary>
public interface IObjectStage : IDisposable
{
    /// <summary>The staging file: readable, writable and seekable. Owned by the stage; do not dispose it.</summary>
    Stream Content { get; }

    /// <summary>
    /// Makes the whole content durable and then visible under <paramref name="key"/> in one atomic
    /// step, replacing any existing object. Either way the stage is finished afterwards: on failure
    /// or cancellation its file is deleted and the key holds its previous object, whole. A failed
    /// commit is not worth retrying on the same stage (a failed fsync may have dropped the data);
    /// write a new one.
    /// </summary>
    Task CommitAsync(string key, CancellationToken cancellationToken);
}
