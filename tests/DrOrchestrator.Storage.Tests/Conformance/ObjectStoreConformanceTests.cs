using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Decorators;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Storage.Tests.Conformance;

/// <summary>
/// The behaviour every <see cref="IObjectStore"/> must show (the contract in IObjectStore.cs).
/// A backend's test class derives from this and supplies a fresh, empty store per test.
/// </summary>
public abstract class ObjectStoreConformanceTests : IAsyncLifetime
{
    private IObjectStore? _store;

    protected IObjectStore Store => _store ?? throw new InvalidOperationException("store not created");

    /// <summary>A new, empty store (own directory, bucket prefix or container) for one test.</summary>
    protected abstract Task<IObjectStore> CreateStoreAsync();

    /// <summary>Releases what <see cref="CreateStoreAsync"/> made (e.g. deletes the temp directory).</summary>
    protected virtual Task DisposeStoreAsync(IObjectStore store) => Task.CompletedTask;

    /// <summary>How to make the backend unreachable; server backends stop and restart the server.</summary>
    protected virtual StoreOutage CreateOutage(IObjectStore store) => new InjectedOutage(store);

    /// <summary>Size of each of the 8 concurrent same-key writes (backends may raise it past their part size).</summary>
    protected virtual long SameKeyWriteSize => Content.MiB + 3;

    /// <summary>
    /// True only for an emulator known to store one writer's body with another writer's checksum
    /// metadata under concurrent writes of one key (s3rver 3.7). Real S3, Azure and Local are atomic.
    /// </summary>
    protected virtual bool SameKeyWritesMayMixMetadata => false;

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await DisposeStoreAsync(_store);
        }
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(1, false)]
    [InlineData(Content.MiB + 7, true)]
    [InlineData(Content.MiB + 7, false)]
    public async Task Put_then_get_returns_the_same_bytes(int size, bool seekable)
    {
        var expected = await Store.PutPatternAsync("data/obj", size, seed: 11, seekable);

        Assert.Equal(expected, await Store.GetSha256Async("data/obj"));
        Assert.Equal(size, (await Store.StatAsync("data/obj", CancellationToken.None))!.Size);
    }

    [Fact]
    public async Task Put_of_a_pack_sized_seekable_file_returns_the_same_bytes()
    {
        // How the engine uploads a pack: a seekable temp file of ~16 MiB (single-request path on S3).
        const long size = 16L * Content.MiB + 3;
        var path = Path.GetTempFileName();
        try
        {
            await using (var pattern = new PatternStream(size, seed: 16, seekable: false))
            await using (var write = File.Create(path))
            {
                await pattern.CopyToAsync(write);
            }

            await using (var file = File.OpenRead(path))
            {
                await Store.PutAsync("data/pack", file, CancellationToken.None);
            }

            Assert.Equal(Content.ExpectedSha256(size, 16), await Store.GetSha256Async("data/pack"));
            Assert.Equal(size, (await Store.StatAsync("data/pack", CancellationToken.None))!.Size);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Put_then_get_of_64_MiB_streamed_returns_the_same_bytes()
    {
        const long size = 64L * Content.MiB;
        var expected = await Store.PutPatternAsync("big/obj", size, seed: 64, seekable: false);

        Assert.Equal(expected, await Store.GetSha256Async("big/obj"));
        Assert.Equal(size, (await Store.StatAsync("big/obj", CancellationToken.None))!.Size);
    }

    [Fact]
    public async Task Put_replaces_an_existing_object_entirely()
    {
        await Store.PutPatternAsync("k", 10_000, seed: 1);

        var expected = await Store.PutPatternAsync("k", 10, seed: 2);

        Assert.Equal(expected, await Store.GetSha256Async("k"));
        Assert.Equal(10, (await Store.StatAsync("k", CancellationToken.None))!.Size);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(400, 123)]
    [InlineData(990, 10)]
    [InlineData(990, 100)]
    [InlineData(999, 1)]
    [InlineData(1000, 10)]
    [InlineData(5000, 10)]
    [InlineData(0, 0)]
    [InlineData(0, 1000)]
    public async Task Ranged_get_returns_the_slice_clamped_to_the_end(long offset, long length)
    {
        await Store.PutPatternAsync("r", 1000, seed: 3);

        var bytes = await Store.GetBytesAsync("r", new ByteRange(offset, length));

        var expectedLength = Math.Max(0, Math.Min(length, 1000 - offset));
        Assert.Equal(expectedLength, bytes.Length);
        Assert.Equal(Content.ExpectedSha256(1000, 3, offset, expectedLength), Content.Sha256(new MemoryStream(bytes)));
    }

    [Fact]
    public async Task Ranged_get_of_a_large_object_reads_only_the_range()
    {
        const long size = 5L * Content.MiB + 5;
        await Store.PutPatternAsync("big/r", size, seed: 5, seekable: false);

        var offset = 3L * Content.MiB + 17;
        Assert.Equal(Content.ExpectedSha256(size, 5, offset, Content.MiB), await Store.GetSha256Async("big/r", new ByteRange(offset, Content.MiB)));
        Assert.Equal(Content.ExpectedSha256(size, 5, size - 100, 100), await Store.GetSha256Async("big/r", new ByteRange(size - 100, 1000)));
    }

    [Fact]
    public async Task Stat_reports_size_and_time_and_null_when_missing()
    {
        var before = DateTimeOffset.UtcNow;
        await Store.PutPatternAsync("s/one", 1234, seed: 4);

        var info = await Store.StatAsync("s/one", CancellationToken.None);

        Assert.NotNull(info);
        Assert.Equal("s/one", info.Key);
        Assert.Equal(1234, info.Size);
        Assert.NotNull(info.LastModified);
        // Generous bounds: emulators store whole seconds and the clock may be coarse.
        Assert.InRange(info.LastModified.Value, before.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Null(await Store.StatAsync("s/two", CancellationToken.None));
        Assert.Null(await Store.StatAsync("s", CancellationToken.None));
    }

    [Fact]
    public async Task Get_of_a_missing_key_throws_ObjectNotFoundException_naming_store_and_key()
    {
        await Store.PutPatternAsync("present", 1, seed: 1);

        var ex = await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.GetAsync("missing/key", null, CancellationToken.None));
        Assert.Equal($"{Store.Description}: missing/key: object not found", ex.Message);
        Assert.False(ex.IsTransient);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.GetAsync("missing/key", new ByteRange(0, 10), CancellationToken.None));
    }

    [Fact]
    public async Task Delete_removes_the_object_and_is_idempotent()
    {
        await Store.PutPatternAsync("d/x", 100, seed: 9);
        await Store.PutPatternAsync("d/y", 100, seed: 9);

        await Store.DeleteAsync("d/x", CancellationToken.None);
        await Store.DeleteAsync("d/x", CancellationToken.None);
        await Store.DeleteAsync("never/existed", CancellationToken.None);

        Assert.Null(await Store.StatAsync("d/x", CancellationToken.None));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.GetAsync("d/x", null, CancellationToken.None));
        Assert.Equal(["d/y"], (await Store.ListAllAsync("d/")).Select(i => i.Key));
    }

    [Fact]
    public async Task List_returns_exactly_the_keys_under_a_prefix_across_more_than_1000_keys()
    {
        var many = Enumerable.Range(0, 1100).Select(i => $"many/k{i:D4}").ToList();
        // "many_not/x" (not "many-not/x"): s3rver pages by walking directories, so a key that sorts
        // before "many/" byte-wise but after it as a directory name is skipped after a page break.
        string[] others = ["man", "many_not/x", "other/many/k0001", "many/sub/deeper/leaf"];
        await Parallel.ForEachAsync(many.Concat(others), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (key, _) => await Store.PutPatternAsync(key, key.Length, seed: 7));

        var listed = await Store.ListAllAsync("many/");

        Assert.Equal(many.Append("many/sub/deeper/leaf").Order(StringComparer.Ordinal), listed.Select(i => i.Key).Order(StringComparer.Ordinal));
        Assert.All(listed, i => Assert.Equal(i.Key.Length, i.Size));
        Assert.Equal(
            many.Where(k => k.StartsWith("many/k10", StringComparison.Ordinal)).Order(StringComparer.Ordinal),
            (await Store.ListAllAsync("many/k10")).Select(i => i.Key).Order(StringComparer.Ordinal));
        Assert.Equal(many.Concat(others).Order(StringComparer.Ordinal), (await Store.ListAllAsync("")).Select(i => i.Key).Order(StringComparer.Ordinal));
        Assert.Empty(await Store.ListAllAsync("nothing/"));
        Assert.Equal(["man", "many_not/x"], (await Store.ListAllAsync("man")).Select(i => i.Key).Where(k => !k.StartsWith("many/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task List_of_an_empty_store_is_empty()
    {
        Assert.Empty(await Store.ListAllAsync(""));
        Assert.Empty(await Store.ListAllAsync("a/"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/absolute")]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("a//b")]
    [InlineData("a/b/")]
    [InlineData("a\\b")]
    [InlineData("./a")]
    [InlineData("sp ace")]
    public async Task Invalid_keys_are_rejected_naming_the_key(string key)
    {
        var put = await Assert.ThrowsAsync<ArgumentException>(() => Store.PutAsync(key, new MemoryStream([1]), CancellationToken.None));
        Assert.StartsWith($"Invalid object key '{key}': ", put.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => Store.GetAsync(key, null, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.StatAsync(key, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeleteAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Sixteen_concurrent_puts_of_distinct_keys_all_land_intact()
    {
        var keys = Enumerable.Range(0, 16).Select(i => $"c/{i}").ToArray();

        var hashes = await Task.WhenAll(keys.Select((k, i) => Task.Run(() => Store.PutPatternAsync(k, 300_000 + i, (ulong)i, seekable: i % 2 == 0))));

        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal(hashes[i], await Store.GetSha256Async(keys[i]));
        }
    }

    [Fact]
    public async Task Eight_concurrent_puts_of_one_key_leave_exactly_one_whole_version()
    {
        var size = SameKeyWriteSize;

        var hashes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Store.PutPatternAsync("same", size, (ulong)(100 + i), seekable: i % 2 == 0))));

        if (SameKeyWritesMayMixMetadata)
        {
            // The server is not atomic here: the read must either be one whole version or fail
            // loudly with the client's integrity check — never hand back mixed bytes silently.
            try
            {
                Assert.Contains(await Store.GetSha256Async("same"), hashes);
            }
            catch (Exception ex) when (ex.Message.Contains("hash", StringComparison.OrdinalIgnoreCase))
            {
                return;
            }
        }
        else
        {
            Assert.Contains(await Store.GetSha256Async("same"), hashes);
        }

        Assert.Equal(size, (await Store.StatAsync("same", CancellationToken.None))!.Size);
        Assert.Equal(["same"], (await Store.ListAllAsync("")).Select(i => i.Key));
    }

    /// <summary>Cancelled after 12 MiB: past the first 8 MiB part/block, so multipart/staged uploads are in flight.</summary>
    [Fact]
    public async Task A_cancelled_put_leaves_the_previous_object()
    {
        var old = await Store.PutPatternAsync("cancel/me", 1000, seed: 1);
        using var cts = new CancellationTokenSource();

        await using var content = new CancellingStream(20L * Content.MiB, seed: 2, cancelAfter: 12L * Content.MiB, cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.PutAsync("cancel/me", content, cts.Token));

        Assert.Equal(old, await Store.GetSha256Async("cancel/me"));
        Assert.Equal(["cancel/me"], (await Store.ListAllAsync("")).Select(i => i.Key));
    }

    [Fact]
    public async Task A_cancelled_put_of_a_new_key_leaves_nothing()
    {
        using var cts = new CancellationTokenSource();

        await using var content = new CancellingStream(20L * Content.MiB, seed: 2, cancelAfter: 12L * Content.MiB, cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.PutAsync("cancel/new", content, cts.Token));

        Assert.Null(await Store.StatAsync("cancel/new", CancellationToken.None));
        Assert.Empty(await Store.ListAllAsync(""));
    }

    [Fact]
    public async Task Operations_through_RetryingObjectStore_survive_an_outage()
    {
        var existing = await Store.PutPatternAsync("outage/existing", 200_000, seed: 21);
        var outage = CreateOutage(Store);
        var retrying = new RetryingObjectStore(outage.Store, OutageRetry, NullLogger.Instance);

        await outage.BeginAsync();
        var get = Task.Run(() => retrying.GetSha256Async("outage/existing"));
        var put = Task.Run(() => retrying.PutPatternAsync("outage/new", 300_000, seed: 22, seekable: true));
        await Task.Delay(1500);
        Assert.False(get.IsCompleted, "the get finished while the backend was down");
        await outage.EndAsync();

        Assert.Equal(existing, await get);
        Assert.Equal(await put, await Store.GetSha256Async("outage/new"));
        if (outage is InjectedOutage injected)
        {
            Assert.True(injected.InjectedFailureCount >= 2, $"expected failed attempts during the outage, saw {injected.InjectedFailureCount}");
        }
    }

    /// <summary>Short delays, long window: the outage lasts ~1.5 s plus the server restart.</summary>
    protected static RetryOptions OutageRetry => new()
    {
        MaxAttempts = 60,
        InitialDelay = TimeSpan.FromMilliseconds(100),
        MaxDelay = TimeSpan.FromSeconds(1),
        MaxElapsed = TimeSpan.FromSeconds(90),
    };
}
