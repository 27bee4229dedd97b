using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Storage.AzureBlob;
using DrOrchestrator.Storage.Tests.Conformance;
using DrOrchestrator.Storage.Tests.Emulators;

namespace DrOrchestrator.Storage.Tests.AzureBlob;

/// <summary>Azure-specific behaviour beyond the shared contract, against Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobObjectStoreTests(AzuriteFixture server)
{
    [Fact]
    public async Task A_container_SAS_URL_from_the_environment_works_and_never_appears_in_messages()
    {
        var byKey = await server.CreateStoreAsync("sas-test");
        var container = new BlobContainerClient(new Uri($"http://127.0.0.1:{server.Server.Port}/{AzuriteFixture.Account}/sas-test"),
            new StorageSharedKeyCredential(AzuriteFixture.Account, AzuriteFixture.AccountKey));
        var sas = container.GenerateSasUri(BlobContainerSasPermissions.All, DateTimeOffset.UtcNow.AddHours(1));
        Environment.SetEnvironmentVariable("DRORCH_TEST_AZURITE_SAS", sas.ToString());
        var store = AzureBlobObjectStore.Create(new AzureBlobTargetOptions { Container = "sas-test", SasUrlEnvironmentVariable = "DRORCH_TEST_AZURITE_SAS" });

        var hash = await store.PutPatternAsync("via-sas", 5000, seed: 3);

        Assert.Equal(hash, await byKey.GetSha256Async("via-sas"));
        var missing = await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.GetAsync("absent", null, CancellationToken.None));
        Assert.Equal("azure:devstoreaccount1/sas-test/: absent: object not found", missing.Message);
        Assert.DoesNotContain("sig=", store.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_container_is_a_permanent_error_not_a_missing_object()
    {
        var store = AzureBlobObjectStore.Create(server.OptionsFor("no-such-container"));

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutPatternAsync("x", 10, seed: 1));

        Assert.IsNotType<ObjectNotFoundException>(ex);
        Assert.False(ex.IsTransient);
        Assert.Equal($"{store.Description}: x: 404 ContainerNotFound: The specified container does not exist.", ex.Message);
    }

    [Fact]
    public async Task An_access_tier_is_applied_to_new_blobs()
    {
        var options = server.OptionsFor("tiers", $"t-{Guid.NewGuid():N}");
        options.AccessTier = "Cool";
        var store = AzureBlobObjectStore.Create(options);
        await store.EnsureContainerAsync(CancellationToken.None);

        await store.PutPatternAsync("cool", 100, seed: 1);

        var blob = new BlobServiceClient(server.ConnectionString).GetBlobContainerClient("tiers").GetBlobClient($"{options.Prefix}/cool");
        Assert.Equal("Cool", (await blob.GetPropertiesAsync()).Value.AccessTier);
    }

    [Fact]
    public async Task Large_non_seekable_uploads_are_staged_in_blocks_and_round_trip()
    {
        var options = server.OptionsFor("blocks", $"t-{Guid.NewGuid():N}");
        options.BlockSizeMiB = 1;
        var store = AzureBlobObjectStore.Create(options);
        await store.EnsureContainerAsync(CancellationToken.None);

        var hash = await store.PutPatternAsync("staged", 5L * Content.MiB + 1, seed: 6, seekable: false);

        Assert.Equal(hash, await store.GetSha256Async("staged"));
        var blocks = await new BlobServiceClient(server.ConnectionString).GetBlobContainerClient("blocks")
            .GetBlockBlobClient($"{options.Prefix}/staged").GetBlockListAsync();
        Assert.Equal(6, blocks.Value.CommittedBlocks.Count());
    }

    [Fact]
    public async Task Seekable_uploads_go_up_in_one_put_up_to_the_single_put_limit_and_staged_above_it()
    {
        var options = server.OptionsFor("blocks", $"t-{Guid.NewGuid():N}");
        options.BlockSizeMiB = 1;
        options.SinglePutMaxMiB = 3;
        var store = AzureBlobObjectStore.Create(options);
        await store.EnsureContainerAsync(CancellationToken.None);

        var single = await store.PutPatternAsync("single", 3L * Content.MiB, seed: 7, seekable: true);
        var staged = await store.PutPatternAsync("staged", 3L * Content.MiB + 1, seed: 8, seekable: true);

        Assert.Equal(single, await store.GetSha256Async("single"));
        Assert.Equal(staged, await store.GetSha256Async("staged"));
        var container = new BlobServiceClient(server.ConnectionString).GetBlobContainerClient("blocks");
        Assert.Empty((await container.GetBlockBlobClient($"{options.Prefix}/single").GetBlockListAsync()).Value.CommittedBlocks);
        Assert.Equal(4, (await container.GetBlockBlobClient($"{options.Prefix}/staged").GetBlockListAsync()).Value.CommittedBlocks.Count());
    }
}

