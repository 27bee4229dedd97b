namespace DrOrchestrator.Core.Storage.Decorators;

/// <summary>
/// Refuses puts and deletes, so that a restore, drill or check opened on a production target can
/// never modify it, whatever the code above does. Reads pass through unchanged.
/// </summary>
public sealed class ReadOnlyObjectStore(IObjectStore inner) : IObjectStore
{
    public string Description => inner.Description;

    public string Location => inner.Location;

    /// <summary>The wrapped store; <see cref="ObjectStaging.FindInventory"/> looks through to it for reads.</summary>
    public IObjectStore Inner => inner;

    public ObjectStoreCapabilities Capabilities => inner.Capabilities;

    public Task PutAsync(string key, Stream content, CancellationToken cancellationToken) =>
        Task.FromException(Refused(key, "put"));

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        Task.FromException(Refused(key, "delete"));

    public Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken) =>
        inner.GetAsync(key, range, cancellationToken);

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken) =>
        inner.StatAsync(key, cancellationToken);

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) =>
        inner.ListAsync(prefix, cancellationToken);

    private ObjectStoreException Refused(string key, string operation) =>
        new(inner.Description, key, $"{operation} refused: the store is opened read-only", isTransient: false);
}
