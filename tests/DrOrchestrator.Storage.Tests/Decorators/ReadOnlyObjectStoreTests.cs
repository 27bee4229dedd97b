using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Decorators;
using DrOrchestrator.Storage.Local;
using DrOrchestrator.Storage.Tests.Conformance;

namespace DrOrchestrator.Storage.Tests.Decorators;

public sealed class ReadOnlyObjectStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new("readonly");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Reads_pass_through_and_writes_are_refused_without_touching_the_store()
    {
        var inner = LocalObjectStore.Create(new LocalTargetOptions { Path = _directory.Path });
        var hash = await inner.PutPatternAsync("k", 100, seed: 1);
        var store = new ReadOnlyObjectStore(inner);

        var put = await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutPatternAsync("k", 5, seed: 2));
        var delete = await Assert.ThrowsAsync<ObjectStoreException>(() => store.DeleteAsync("k", CancellationToken.None));

        Assert.Equal($"{inner.Description}: k: put refused: the store is opened read-only", put.Message);
        Assert.Equal($"{inner.Description}: k: delete refused: the store is opened read-only", delete.Message);
        Assert.False(put.IsTransient);
        Assert.Equal(hash, await store.GetSha256Async("k"));
        Assert.Equal(["k"], (await store.ListAllAsync("")).Select(i => i.Key));
        Assert.Equal(100, (await store.StatAsync("k", CancellationToken.None))!.Size);
    }
}
