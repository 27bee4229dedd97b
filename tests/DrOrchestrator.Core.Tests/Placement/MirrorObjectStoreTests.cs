using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Composite;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Core.Tests.Placement;

public sealed class MirrorObjectStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly PlacementTestStore _a = new("a");
    private readonly PlacementTestStore _b = new("b");

    [Fact]
    public async Task With_one_of_two_required_a_down_member_is_degraded_and_skipped_afterwards()
    {
        var mirror = new MirrorObjectStore([_a, _b], minimumSuccessful: 1);
        var (key, content) = PlacementTestStore.NewPack();
        _b.IsDown = true;

        await mirror.PutAsync(key, new MemoryStream(content), None);

        Assert.Equal(content, _a.Bytes(key));
        var degraded = Assert.Single(mirror.DegradedMembers);
        Assert.Equal("mem:b", degraded.Key);
        Assert.Equal($"mem:b: {key}: simulated outage", degraded.Value.Message);

        // Back up, but still skipped: it must never receive a snapshot whose packs it lacks.
        _b.IsDown = false;
        await mirror.PutAsync("snapshots/01", new MemoryStream([1]), None);
        await mirror.DeleteAsync("locks/01", None);
        Assert.Equal(0, _b.PutCount);
        Assert.Equal(0, _b.DeleteCount);
        Assert.False(_b.Contains("snapshots/01"));
        Assert.Equal([_a], mirror.HealthyMembers);
    }

    [Fact]
    public async Task With_two_of_two_required_a_down_member_fails_the_put_naming_it()
    {
        var mirror = new MirrorObjectStore([_a, _b], minimumSuccessful: 2);
        _b.IsDown = true;

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => mirror.PutAsync("config", new MemoryStream([1]), None));
        Assert.Equal("mirror[mem:a,mem:b]: config: put reached 1 of the 2 members required: mem:b: config: simulated outage", error.Message);
        Assert.True(error.IsTransient);

        _b.IsDown = false;
        var next = await Assert.ThrowsAsync<ObjectStoreException>(() => mirror.PutAsync("keys/01", new MemoryStream([1]), None));
        Assert.Equal("mirror[mem:a,mem:b]: keys/01: only 1 healthy members left, 2 required; degraded: mem:b: config: simulated outage", next.Message);
        Assert.False(_a.Contains("keys/01"));
    }

    [Fact]
    public async Task Concurrent_puts_degrade_a_failing_member_once_and_all_succeed()
    {
        var mirror = new MirrorObjectStore([_a, _b], minimumSuccessful: 1);
        _b.IsDown = true;
        var packs = Enumerable.Range(0, 64).Select(_ => PlacementTestStore.NewPack(2048)).ToList();

        await Parallel.ForEachAsync(packs, async (p, ct) => await mirror.PutAsync(p.Key, new MemoryStream(p.Content), ct));

        Assert.All(packs, p => Assert.Equal(p.Content, _a.Bytes(p.Key)));
        Assert.Equal(["mem:b"], mirror.DegradedMembers.Keys);
        Assert.StartsWith("mem:b: data/", mirror.DegradedMembers["mem:b"].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_kind_of_source_stream_reaches_every_member_whole()
    {
        var members = Enumerable.Range(0, 3).Select(i => new PlacementTestStore($"m{i}")).ToArray();
        var mirror = new MirrorObjectStore(members, minimumSuccessful: 3);
        var (key, content) = PlacementTestStore.NewPack(500_000);
        var path = Path.Combine(Path.GetTempPath(), $"mirror-test-{Guid.NewGuid():N}");
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read))
            {
                // Written through this handle and not flushed: the mirror must still see every byte.
                await file.WriteAsync(content);
                file.Position = 0;
                await mirror.PutAsync(key, file, None);
            }

            Assert.All(members, m => Assert.Equal(content, m.Bytes(key)));

            var memory = new MemoryStream();
            memory.Write([0xFF, 0xFF, 0xFF]);
            memory.Write(content);
            memory.Position = 3;
            await mirror.PutAsync("index/memory", memory, None);
            Assert.All(members, m => Assert.Equal(content, m.Bytes("index/memory")));

            await mirror.PutAsync("index/pipe", new UnseekableStream(content), None);
            Assert.All(members, m => Assert.Equal(content, m.Bytes("index/pipe")));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Reads_go_to_the_first_healthy_member()
    {
        var mirror = new MirrorObjectStore([_a, _b], minimumSuccessful: 1);
        _a.Seed("config", [1]);
        _b.Seed("config", [2]);

        await using (var read = await mirror.GetAsync("config", null, None))
        {
            Assert.Equal([1], await PoolObjectStoreTests.ReadAllAsync(read));
        }

        _a.IsDown = true;
        await mirror.PutAsync("index/01", new MemoryStream([3]), None);
        _a.IsDown = false;
        Assert.Equal(["mem:a"], mirror.DegradedMembers.Keys);
        await using (var read = await mirror.GetAsync("config", null, None))
        {
            Assert.Equal([2], await PoolObjectStoreTests.ReadAllAsync(read));
        }

        Assert.Equal(["index/01"], (await PoolObjectStoreTests.ListAsync(mirror, "index/")).Select(i => i.Key));
    }

    [Fact]
    public void Bad_settings_are_rejected_with_one_clear_line()
    {
        var min = Assert.Throws<ArgumentOutOfRangeException>(() => new MirrorObjectStore([_a, _b], minimumSuccessful: 3));
        Assert.StartsWith("mirror minimum successful members 3 must be between 1 and the member count 2", min.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new MirrorObjectStore([_a, _a], minimumSuccessful: 1));
    }
}
