using DrOrchestrator.Core.Storage;
using DrOrchestrator.Storage.Local;
using DrOrchestrator.Storage.Tests.Conformance;

namespace DrOrchestrator.Storage.Tests.Local;

public sealed class LocalObjectStoreConformanceTests : ObjectStoreConformanceTests
{
    private readonly TempDirectory _directory = new("local-conformance");

    protected override Task<IObjectStore> CreateStoreAsync() =>
        Task.FromResult<IObjectStore>(LocalObjectStore.Create(new LocalTargetOptions { Path = System.IO.Path.Combine(_directory.Path, "repo") }));

    protected override Task DisposeStoreAsync(IObjectStore store)
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }
}
