using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Decorators;
using DrOrchestrator.Storage.Tests.Emulators;
using DrOrchestrator.Storage.Tests.S3;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Storage.Tests.Conformance;

/// <summary>
/// The conformance suite through the hedging decorator as the target registry opens cloud targets
/// (default options): whatever it hedges on a loaded host, every guarantee still holds.
/// </summary>
internal static class HedgedStores
{
    public static IObjectStore Wrap(IObjectStore store) => new HedgingObjectStore(store, new HedgingOptions(), NullLogger.Instance);
}

[Collection(S3rverCollection.Name)]
public sealed class HedgedS3ObjectStoreConformanceTests(S3rverFixture server) : S3ObjectStoreConformanceTests(server)
{
    protected override async Task<IObjectStore> CreateStoreAsync() => HedgedStores.Wrap(await base.CreateStoreAsync());
}

[Collection(AzuriteCollection.Name)]
public sealed class HedgedAzureBlobObjectStoreConformanceTests(AzuriteFixture server) : ObjectStoreConformanceTests
{
    protected override async Task<IObjectStore> CreateStoreAsync() =>
        HedgedStores.Wrap(await server.CreateStoreAsync("conformance", $"t-{Guid.NewGuid():N}/repo"));

    protected override StoreOutage CreateOutage(IObjectStore store) => new ServerOutage(store, server.StopAsync, server.StartAsync);
}
