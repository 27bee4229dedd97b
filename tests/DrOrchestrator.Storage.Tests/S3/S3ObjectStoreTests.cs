using DrOrchestrator.Core.Storage;
using DrOrchestrator.Storage.S3;
using DrOrchestrator.Storage.Tests.Conformance;
using DrOrchestrator.Storage.Tests.Emulators;

namespace DrOrchestrator.Storage.Tests.S3;

/// <summary>S3-specific behaviour beyond the shared contract, against s3rver.</summary>
[Collection(S3rverCollection.Name)]
public sealed class S3ObjectStoreTests(S3rverFixture server)
{
    [Fact]
    public async Task A_pack_sized_seekable_file_goes_up_as_one_put_and_round_trips()
    {
        var options = server.OptionsFor("specific", $"t-{Guid.NewGuid():N}");
        options.SinglePutMaxMiB = 64;
        using var store = S3ObjectStore.Create(options);
        const long size = 16L * Content.MiB + 5;

        var expected = await store.PutPatternFileAsync("data/ab/pack", size, seed: 77);

        Assert.Equal(expected, await store.GetSha256Async("data/ab/pack"));
        Assert.Equal(size, (await store.StatAsync("data/ab/pack", CancellationToken.None))!.Size);
    }

    [Fact]
    public async Task DeleteMany_removes_every_given_key_across_batches_and_ignores_missing_ones()
    {
        using var store = await server.CreateStoreAsync("specific", $"t-{Guid.NewGuid():N}");
        var keys = Enumerable.Range(0, 1005).Select(i => $"p/{i:D4}").ToList();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (k, _) => await store.PutPatternAsync(k, 1, seed: 1));
        await store.PutPatternAsync("keep", 1, seed: 1);

        await store.DeleteManyAsync(keys.Append("p/never-existed"), CancellationToken.None);

        Assert.Equal(["keep"], (await store.ListAllAsync("")).Select(i => i.Key));
    }

    [Fact]
    public async Task Stores_with_different_prefixes_do_not_see_each_other()
    {
        var run = Guid.NewGuid().ToString("N");
        using var a = await server.CreateStoreAsync("specific", $"{run}/a");
        using var b = await server.CreateStoreAsync("specific", $"{run}/ab");
        await a.PutPatternAsync("x", 10, seed: 1);

        Assert.Empty(await b.ListAllAsync(""));
        Assert.Null(await b.StatAsync("x", CancellationToken.None));
        Assert.Equal($"s3:specific/{run}/a/@127.0.0.1:{server.Server.Port}", a.Description);
    }

    [Fact]
    public async Task A_missing_bucket_is_a_permanent_error_not_a_missing_object()
    {
        using var store = S3ObjectStore.Create(server.OptionsFor("no-such-bucket"));

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => store.GetAsync("x", null, CancellationToken.None));

        Assert.IsNotType<ObjectNotFoundException>(ex);
        Assert.False(ex.IsTransient);
        Assert.StartsWith($"{store.Description}: x: 404 NoSuchBucket", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_credentials_are_a_permanent_error_that_does_not_reveal_the_secret()
    {
        using var good = await server.CreateStoreAsync("specific");
        Environment.SetEnvironmentVariable("DRORCH_TEST_WRONG_KEY", "UNKNOWNKEY");
        Environment.SetEnvironmentVariable("DRORCH_TEST_WRONG_SECRET", "wrong-secret-value");
        var options = server.OptionsFor("specific");
        options.AccessKeyIdEnvironmentVariable = "DRORCH_TEST_WRONG_KEY";
        options.SecretAccessKeyEnvironmentVariable = "DRORCH_TEST_WRONG_SECRET";
        using var store = S3ObjectStore.Create(options);

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutPatternAsync("x", 10, seed: 1));

        Assert.False(ex.IsTransient);
        Assert.Contains("403", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-secret-value", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stopped_server_is_a_transient_error()
    {
        var fixture = new S3rverFixture();
        await fixture.InitializeAsync();
        try
        {
            using var store = await fixture.CreateStoreAsync("down");
            await fixture.StopAsync();

            var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => store.StatAsync("x", CancellationToken.None));

            Assert.True(ex.IsTransient);
            Assert.StartsWith($"{store.Description}: x: network error: ", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_failed_multipart_upload_is_aborted_and_leaves_no_object()
    {
        var logger = new Decorators.CapturingLogger();
        var prefix = $"t-{Guid.NewGuid():N}";
        using var store = S3ObjectStore.Create(server.OptionsFor("specific", prefix), logger);
        await store.EnsureBucketAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();

        await using var content = new CancellingStream(30L * Content.MiB, seed: 2, cancelAfter: 20L * Content.MiB, cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PutAsync("mp", content, cts.Token));

        Assert.Null(await store.StatAsync("mp", CancellationToken.None));
        // The abort was attempted: s3rver does not implement AbortMultipartUpload, so it is logged as failed.
        var abort = Assert.Single(logger.Entries, e => e.Id.Id == 4101);
        Assert.StartsWith($"Aborting multipart upload of '{prefix}/mp' on {store.Description} failed", abort.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Capabilities_reflect_the_part_size()
    {
        using var store = S3ObjectStore.Create(server.OptionsFor("specific"));

        Assert.Equal(new ObjectStoreCapabilities(8L * 1024 * 1024 * 10_000, 4, false), store.Capabilities);
    }
}
