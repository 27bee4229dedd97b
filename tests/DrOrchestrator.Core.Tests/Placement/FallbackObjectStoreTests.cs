using System.Collections.Concurrent;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Composite;

namespace DrOrchestrator.Core.Tests.Placement;

public sealed class FallbackObjectStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly PlacementTestStore _primary = new("primary");
    private readonly PlacementTestStore _replica = new("replica");
    private readonly PlacementTestStore _offsite = new("offsite");
    private readonly ConcurrentQueue<ReadFallbackEvent> _events = new();

    private FallbackObjectStore View() => new([_primary, _replica, _offsite], new SyncProgress(_events));

    private (string Key, byte[] Content) SeedEverywhere(int size = 200_000)
    {
        var pack = PlacementTestStore.NewPack(size);
        foreach (var store in new[] { _primary, _replica, _offsite })
        {
            store.Seed(pack.Key, pack.Content);
        }

        return pack;
    }

    [Fact]
    public async Task A_corrupted_copy_is_passed_over_and_reported_with_store_and_key()
    {
        var (key, content) = SeedEverywhere();
        _primary.Corrupt(key);

        await using (var read = await View().GetAsync(key, null, None))
        {
            Assert.Equal(content, await PoolObjectStoreTests.ReadAllAsync(read));
        }

        var report = Assert.Single(_events);
        Assert.Equal(ReadFallbackReason.ChecksumMismatch, report.Reason);
        Assert.Equal(("mem:primary", key), (report.Store, report.Key));
        Assert.StartsWith($"mem:primary: {key}: SHA-256 mismatch: content (200000 bytes) hashes to ", report.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, _replica.GetCount);
        Assert.Equal(0, _offsite.GetCount);
    }

    [Fact]
    public async Task Missing_and_unreachable_copies_fall_back_to_the_next_source()
    {
        var (key, content) = SeedEverywhere();
        _primary.Hide(key);
        _replica.IsDown = true;

        await using (var read = await View().GetAsync(key, null, None))
        {
            Assert.Equal(content, await PoolObjectStoreTests.ReadAllAsync(read));
        }

        Assert.Equal(
            [$"mem:primary: {key}: object not found", $"mem:replica: {key}: simulated outage"],
            _events.Select(e => e.ToString()));
    }

    [Fact]
    public async Task When_every_copy_is_bad_the_error_lists_each_one()
    {
        var (key, _) = SeedEverywhere(1000);
        _primary.Corrupt(key);
        _replica.Hide(key);
        _offsite.IsDown = true;

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => View().GetAsync(key, null, None));
        Assert.StartsWith($"fallback[mem:primary,mem:replica,mem:offsite]: {key}: no good copy: mem:", error.Message, StringComparison.Ordinal);
        Assert.Contains($"mem:primary: {key}: SHA-256 mismatch", error.Message, StringComparison.Ordinal);
        Assert.Contains($"mem:replica: {key}: object not found", error.Message, StringComparison.Ordinal);
        Assert.Contains($"mem:offsite: {key}: simulated outage", error.Message, StringComparison.Ordinal);
        Assert.True(error.IsTransient);

        _offsite.IsDown = false;
        _offsite.Hide(key);
        _primary.Hide(key);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => View().GetAsync(key, null, None));
    }

    [Fact]
    public async Task A_failing_source_drops_behind_healthy_ones()
    {
        var (key, content) = SeedEverywhere(1000);
        var view = View();
        _primary.IsDown = true;
        await (await view.GetAsync(key, null, None)).DisposeAsync();

        Assert.Equal("mem:primary", view.Sources[^1].Store);
        Assert.Equal(1, view.Sources[^1].RecentFailures);

        _primary.IsDown = false;
        _primary.ResetCounters();
        await using var read = await view.GetAsync(key, new ByteRange(0, 10), None);
        Assert.Equal(content[..10], await PoolObjectStoreTests.ReadAllAsync(read));
        Assert.Equal(0, _primary.GetCount);
    }

    [Fact]
    public async Task A_measured_source_is_preferred_and_a_failure_is_forgiven_after_the_penalty_window()
    {
        var clock = new ManualClock();
        _primary.Seed("config", [1]);
        _replica.Seed("config", [2]);
        _primary.BeforeGet = () => clock.Advance(TimeSpan.FromMilliseconds(300));
        _replica.BeforeGet = () => clock.Advance(TimeSpan.FromMilliseconds(20));
        var view = new FallbackObjectStore([_primary, _replica], timeProvider: clock);

        _primary.IsDown = true;
        await (await view.GetAsync("config", null, None)).DisposeAsync();
        Assert.Equal(["mem:replica", "mem:primary"], view.Sources.Select(s => s.Store));
        Assert.Equal(1, view.Sources[1].RecentFailures);

        // Forgiven after the window: the primary is no longer penalised, but a source that has
        // answered well (the replica) still leads one that has not been measured...
        clock.Advance(TimeSpan.FromMinutes(6));
        _primary.IsDown = false;
        Assert.Equal(["mem:replica", "mem:primary"], view.Sources.Select(s => s.Store));
        Assert.Equal(0, view.Sources[1].RecentFailures);

        // ...and when the replica fails, the forgiven primary serves again and is measured slower.
        _replica.IsDown = true;
        await using (var read = await view.GetAsync("config", null, None))
        {
            Assert.Equal([1], await PoolObjectStoreTests.ReadAllAsync(read));
        }

        _replica.IsDown = false;
        clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(["mem:replica", "mem:primary"], view.Sources.Select(s => s.Store));
        await using (var read = await view.GetAsync("config", null, None))
        {
            Assert.Equal([2], await PoolObjectStoreTests.ReadAllAsync(read));
        }

        Assert.Equal(TimeSpan.FromMilliseconds(20), view.Sources[0].AverageLatency);
    }

    [Fact]
    public async Task A_bad_range_reported_by_the_reader_is_read_from_the_next_copy()
    {
        var (key, content) = SeedEverywhere(1000);
        _primary.Corrupt(key);
        var view = View();
        var range = new ByteRange(400, 200);

        // Ranges are not hash-checked here: the corrupt byte (at 500) comes back as is.
        await using (var first = await view.GetAsync(key, range, None))
        {
            Assert.NotEqual(content[400..600], await PoolObjectStoreTests.ReadAllAsync(first));
        }

        view.ReportCorrupt("mem:primary", key);
        await using (var second = await view.GetAsync(key, range, None))
        {
            Assert.Equal(content[400..600], await PoolObjectStoreTests.ReadAllAsync(second));
        }

        Assert.Equal($"mem:primary: {key}: reported corrupt by the reader", Assert.Single(_events).ToString());

        var fresh = View();
        var excluded = new HashSet<string>(StringComparer.Ordinal) { "mem:primary", "mem:replica" };
        _offsite.ResetCounters();
        await using (var third = await fresh.GetAsync(key, range, excluded, None))
        {
            Assert.Equal(content[400..600], await PoolObjectStoreTests.ReadAllAsync(third));
        }

        Assert.Equal(1, _offsite.GetCount);
        Assert.Throws<ArgumentException>(() => fresh.ReportCorrupt("mem:unknown", key));
    }

    [Fact]
    public async Task A_pool_source_is_read_member_by_member_so_a_corrupt_copy_is_replaced_by_the_next()
    {
        var members = Enumerable.Range(1, 3).Select(i => new PoolMember($"m{i}", new PlacementTestStore($"pool-m{i}"))).ToList();
        var pool = new PoolObjectStore("p", members, replicationFactor: 2);
        var (key, content) = PlacementTestStore.NewPack(5000);
        await pool.PutAsync(key, new MemoryStream(content), None);
        var first = (PlacementTestStore)pool.Membership.PlacementOf(key)[0].Store;
        var second = (PlacementTestStore)pool.Membership.PlacementOf(key)[1].Store;
        first.Corrupt(key);
        var view = new FallbackObjectStore([pool, _replica], new SyncProgress(_events));

        await using (var read = await view.GetAsync(key, null, None))
        {
            Assert.Equal(content, await PoolObjectStoreTests.ReadAllAsync(read));
        }

        var report = Assert.Single(_events);
        Assert.Equal((first.Description, ReadFallbackReason.ChecksumMismatch), (report.Store, report.Reason));
        Assert.Equal(0, _replica.GetCount);

        // Ranges are not verified, but the corrupt copy is now known and read last.
        second.ResetCounters();
        await using (var range = await view.GetAsync(key, new ByteRange(2000, 1000), None))
        {
            Assert.Equal(content[2000..3000], await PoolObjectStoreTests.ReadAllAsync(range));
        }

        Assert.Equal(1, second.GetCount);
        view.ReportCorrupt(second.Description, key);
        Assert.Equal($"{second.Description}: {key}: reported corrupt by the reader", _events.Last().ToString());
    }

    [Fact]
    public async Task Metadata_stat_and_list_fall_back_and_writes_are_refused()
    {
        _replica.Seed("snapshots/01", [7, 7]);
        _offsite.Seed("snapshots/01", [7, 7]);
        _primary.IsDown = true;
        var view = View();

        await using (var read = await view.GetAsync("snapshots/01", null, None))
        {
            Assert.Equal([7, 7], await PoolObjectStoreTests.ReadAllAsync(read));
        }

        Assert.Equal(2, (await view.StatAsync("snapshots/01", None))?.Size);
        Assert.Equal(["snapshots/01"], (await PoolObjectStoreTests.ListAsync(view, "snapshots/")).Select(i => i.Key));
        Assert.Null(await new FallbackObjectStore([_replica]).StatAsync("snapshots/02", None));

        var put = await Assert.ThrowsAsync<InvalidOperationException>(() => view.PutAsync("config", new MemoryStream([1]), None));
        Assert.Equal("fallback[mem:primary,mem:replica,mem:offsite] is a read-only view: write to the targets themselves, not to 'config' here", put.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => view.DeleteAsync("config", None));
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = DateTimeOffset.UnixEpoch.Ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests need the report before the call returns.</summary>
    private sealed class SyncProgress(ConcurrentQueue<ReadFallbackEvent> sink) : IProgress<ReadFallbackEvent>
    {
        public void Report(ReadFallbackEvent value) => sink.Enqueue(value);
    }
}
