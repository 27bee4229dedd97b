using DrOrchestrator.Core.Storage;
using DrOrchestrator.Storage.Tests.Conformance;
using DrOrchestrator.Storage.Tests.Emulators;

namespace DrOrchestrator.Storage.Tests.AzureBlob;

[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobObjectStoreConformanceTests(AzuriteFixture server) : ObjectStoreConformanceTests
{
    /// <summary>Each test gets its own prefix in a shared container.</summary>
    protected override async Task<IObjectStore> CreateStoreAsync() =>
        await server.CreateStoreAsync("conformance", $"t-{Guid.NewGuid():N}/repo");

    protected override StoreOutage CreateOutage(IObjectStore store) => new ServerOutage(store, server.StopAsync, server.StartAsync);
}
