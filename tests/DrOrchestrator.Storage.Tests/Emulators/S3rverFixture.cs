using DrOrchestrator.Storage.S3;

namespace DrOrchestrator.Storage.Tests.Emulators;

/// <summary>
/// s3rver 3.7.1 for a test collection. Quirks handled here or in <see cref="OptionsFor"/>: it needs
/// `node --openssl-legacy-provider` (else truncated ListObjectsV2 answers 500); it stores aws-chunked
/// framing as object bytes (DisableChunkEncoding); it lacks CopyObject, ListParts and
/// AbortMultipartUpload and ignores If-None-Match; its listing pages walk directories, so after a
/// page break it skips keys like "a-b/x" that sort before "a/..." byte-wise but after "a" as a name.
/// </summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    /// <summary>s3rver's fixed credentials, handed to the store through these environment variables.</summary>
    public const string AccessKeyVariable = "DRORCH_TEST_S3RVER_ACCESS_KEY";
    public const string SecretKeyVariable = "DRORCH_TEST_S3RVER_SECRET_KEY";

    public EmulatorProcess Server { get; } = new(
        "s3rver",
        Path.Combine("s3rver", "bin", "s3rver.js"),
        (port, data) => ["--directory", data, "--address", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent"],
        ["--openssl-legacy-provider"]);

    public string ServiceUrl => $"http://127.0.0.1:{Server.Port}";

    /// <summary>Options for a bucket on this server, with every compatibility setting s3rver needs.</summary>
    public S3TargetOptions OptionsFor(string bucket, string prefix = "") => new()
    {
        ServiceUrl = ServiceUrl,
        ForcePathStyle = true,
        Region = "us-east-1",
        Bucket = bucket,
        Prefix = prefix,
        AccessKeyIdEnvironmentVariable = AccessKeyVariable,
        SecretAccessKeyEnvironmentVariable = SecretKeyVariable,
        DisableChunkEncoding = true,
        ChecksumsWhenRequiredOnly = true,
    };

    /// <summary>A store on <paramref name="bucket"/>, creating the bucket if needed.</summary>
    public async Task<S3ObjectStore> CreateStoreAsync(string bucket, string prefix = "")
    {
        var store = S3ObjectStore.Create(OptionsFor(bucket, prefix));
        await store.EnsureBucketAsync(CancellationToken.None);
        return store;
    }

    public Task StopAsync() => Server.StopAsync();

    public Task StartAsync() => Server.StartAsync();

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable(AccessKeyVariable, "S3RVER");
        Environment.SetEnvironmentVariable(SecretKeyVariable, "S3RVER");
        await Server.StartAsync();
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class S3rverCollection : ICollectionFixture<S3rverFixture>
{
    public const string Name = "s3rver";
}
