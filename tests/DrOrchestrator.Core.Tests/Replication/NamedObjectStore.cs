using DrOrchestrator.Core.Storage;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Core.Tests.Replication;

/// <summary>
/// An <see cref="InMemoryObjectStore"/> under its own description, so messages naming the source
/// and the destination can be told apart (every InMemoryObjectStore is "memory:test").
/// </summary>
internal sealed class NamedObjectStore(string description, InMemoryObjectStore? inner = null) : IObjectStore
{
    public InMemoryObjectStore Inner { get; } = inner ?? new InMemoryObjectStore();

    public string Description => description;

    public ObjectStoreCapabilities Capabilities => Inner.Capabilities;

    /// <summary>A new store holding a copy of every object of this one (written directly, not counted as puts).</summary>
    public NamedObjectStore Clone(string cloneDescription)
    {
        var clone = new NamedObjectStore(cloneDescription);
        foreach (var key in Inner.Keys)
        {
            clone.Inner[key] = [.. Inner[key]];
        }

        return clone;
    }

    public IReadOnlyList<string> KeysUnder(string prefix) => [.. Inner.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))];

    public Task PutAsync(string key, Stream content, CancellationToken cancellationToken) => Inner.PutAsync(key, content, cancellationToken);

    public Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken) => Inner.GetAsync(key, range, cancellationToken);

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken) => Inner.StatAsync(key, cancellationToken);

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => Inner.ListAsync(prefix, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => Inner.DeleteAsync(key, cancellationToken);
}
