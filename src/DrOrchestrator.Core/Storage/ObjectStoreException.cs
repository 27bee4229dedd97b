namespace DrOrchestrator.Core.Storage;

/// <summary>
/// A failure of an object store operation. <see cref="IsTransient"/> tells decorators whether a
/// retry may succeed (network error, throttling, 5xx) or not (access denied, bad configuration).
/// </summary>
public class ObjectStoreException : Exception
{
    public ObjectStoreException(string store, string? key, string message, bool isTransient, Exception? innerException = null)
        : base(Format(store, key, message), innerException)
    {
        Store = store;
        Key = key;
        IsTransient = isTransient;
    }

    /// <summary>The <see cref="IObjectStore.Description"/> of the store that failed.</summary>
    public string Store { get; }

    public string? Key { get; }

    public bool IsTransient { get; }

    private static string Format(string store, string? key, string message) =>
        key is null ? $"{store}: {message}" : $"{store}: {key}: {message}";
}

/// <summary>The key does not exist in the store. The same type for every backend.</summary>
public sealed class ObjectNotFoundException : ObjectStoreException
{
    public ObjectNotFoundException(string store, string key, Exception? innerException = null)
        : base(store, key, "object not found", isTransient: false, innerException)
    {
    }
}
