using DrOrchestrator.Core.Storage;
using DrOrchestrator.Storage.S3;
using DrOrchestrator.Storage.Tests.Conformance;
using DrOrchestrator.Storage.Tests.Emulators;

namespace DrOrchestrator.Storage.Tests.S3;

/// <summary>
/// The whole contract again with the SDK's flexible checksums on and aws-chunked off (the bench's
/// and a typical compatible's setting): every body then carries a CRC32 header computed by the store
/// (S3BodyChecksum), and every SHA-256 round trip checks that s3rver stored exactly the body.
/// </summary>
/// </summary>
[Collection(S3rverCollection.Name)]
public sealed class S3ObjectStoreCrc32ConformanceTests(S3rverFixture server) : ObjectStoreConformanceTests
{
    protected override long SameKeyWriteSize => 9L * Content.MiB + 3;

    /// <summary>See <see cref="S3ObjectStoreConformanceTests"/>: s3rver's non-atomic body/ETag writes.</summary>
    protected override bool SameKeyWritesMayMixMetadata => true;

    protected override async Task<IObjectStore> CreateStoreAsync()
    {
        var options = server.OptionsFor("conformance-crc", $"t-{Guid.NewGuid():N}/repo");
        options.ChecksumsWhenRequiredOnly = false;
        var store = S3ObjectStore.Create(options);
        await store.EnsureBucketAsync(CancellationToken.None);
        return store;
    }

    protected override StoreOutage CreateOutage(IObjectStore store) => new ServerOutage(store, server.StopAsync, server.StartAsync);
}
