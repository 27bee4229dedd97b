using DrOrchestrator.Core.Storage.Decorators;

namespace DrOrchestrator.Core.Storage;

/// <summary>Finds the <see cref="IStagedObjectStore"/> capability of a store, if it has one.</summary>
public static class ObjectStaging
{
    /// <summary>
    /// The store itself when it stages files, or the staging store inside a decorator that is
    /// transparent for writes; null for every other store (cloud backends, composites, read-only).
    /// </summary>
    /// <remarks>
    /// Only <see cref="RetryingObjectStore"/> is looked through, by exposing its inner store rather
    /// than forwarding the capability: staging is local file I/O with nothing worth retrying (its
    /// errors are disk full, read-only or I/O errors), and a commit must not be retried at all — after
    /// a failed fsync the kernel may have dropped the dirty pages, so a second fsync could "succeed"
    /// over lost data. <see cref="ReadOnlyObjectStore"/> must refuse writes and a fault-injecting
    /// test store must see every put it is asked to fail, so both hide the capability; composites
    /// (mirror, pool, fallback) write to several stores and have none.
    /// </remarks>
    public static IStagedObjectStore? Find(IObjectStore store) => store switch
    {
        IStagedObjectStore staged => staged,
        RetryingObjectStore retrying => Find(retrying.Inner),
        _ => null,
    };

    /// <summary>
    /// The store's list of staging files, looked up through the retry and the read-only decorators:
    /// listing is a read, so a check on a target opened read-only still reports leftover staging files.
    /// </summary>
    public static IStagingInventory? FindInventory(IObjectStore store) => store switch
    {
        IStagingInventory inventory => inventory,
        RetryingObjectStore retrying => FindInventory(retrying.Inner),
        ReadOnlyObjectStore readOnly => FindInventory(readOnly.Inner),
        _ => null,
    };
}
