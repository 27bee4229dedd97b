using DrOrchestrator.Storage.Tests.Emulators;

namespace DrOrchestrator.Storage.Tests.S3;

/// <summary>
/// The whole contract again with the SDK's flexible checksums on and aws-chunked off (the bench's
/// and a typical compatible's setting): every body then carries a CRC32 header computed by the store
/// (S3BodyChecksum), and every SHA-256 round trip checks that s3rver stored exactly the body.
/// </summary>
[Collection(S3rverCollection.Name)]
public sealed class S3ObjectStoreCrc32ConformanceTests(S3rverFixture server) : S3ObjectStoreConformanceTests(server)
{
    protected override bool ChecksumsWhenRequiredOnly => false;
}
