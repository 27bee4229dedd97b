using System.Collections.Concurrent;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Composite;
using DrOrchestrator.Testing;
using static DrOrchestrator.Core.Tests.TestSupport;

namespace DrOrchestrator.Core.Tests.Repository;

/// <summary>
/// Issue 19, item 1: config, key files, indexes and snapshots are read through the same fallback
/// as packs — a copy that cannot be read or does not decode is reported (store, key, why) and the
/// next copy is used.
/// </summary>
public sealed class MetadataFallbackTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ConcurrentQueue<ReadFallbackEvent> _events = new();
    private InMemoryObjectStore _primary = null!;
    private InMemoryObjectStore _replica = null!;
    private Snapshot _snapshot = null!;

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("config")]
    [InlineData("keys/")]
    [InlineData("index/")]
    [InlineData("snapshots/")]
    public async Task A_damaged_metadata_copy_is_reported_and_the_next_copy_used(string prefix)
    {
        await SeedTwoCopiesAsync();
        var key = _primary.Keys.First(k => k.StartsWith(prefix, StringComparison.Ordinal));
        Flip(_primary, key);

        var (repository, snapshots) = await OpenAndListAsync();

        await using (repository)
        {
            Assert.Empty(repository.IndexErrors);
            Assert.Equal(_snapshot.Id, Assert.Single(snapshots).Id);
            var restored = _dir.Sub("restored");
            var result = await RestoreAsync(repository, snapshots[0], restored);
            Assert.Equal(Describe(_dir.Sub("source")), Describe(Path.Combine(restored, "source")));
            Assert.True(result.FilesVerified > 0);
        }

        var report = Assert.Single(_events);
        Assert.Equal((ReadFallbackReason.BadContent, "mem:primary", key), (report.Reason, report.Store, report.Key));
        Assert.StartsWith($"mem:primary: {key}: bad content: ", report.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_copy_whose_body_fails_part_way_is_reported_and_the_next_copy_used()
    {
        await SeedTwoCopiesAsync();
        var failing = new BodyFailingStore(_primary, "snapshots/");

        var (repository, snapshots) = await OpenAndListAsync(failing);

        await using (repository)
        {
            Assert.Equal(_snapshot.Id, Assert.Single(snapshots).Id);
        }

        var report = Assert.Single(_events);
        Assert.Equal((ReadFallbackReason.Error, "mem:primary", ObjectKeysSnapshot(_snapshot.Id)), (report.Reason, report.Store, report.Key));
        Assert.Equal($"mem:primary: snapshots/{_snapshot.Id}: connection reset while reading the body", report.ToString());
    }

    [Fact]
    public async Task When_every_copy_of_the_config_is_damaged_the_open_fails_as_corrupt_naming_each_copy()
    {
        await SeedTwoCopiesAsync();
        Flip(_primary, "config");
        Flip(_replica, "config");

        await Assert.ThrowsAsync<RepositoryCorruptException>(() => OpenAndListAsync());

        Assert.Equal(
            [("mem:primary", "config"), ("mem:replica", "config")],
            _events.Select(e => (e.Store, e.Key)).Distinct().Order());
        Assert.All(_events, e => Assert.Equal(ReadFallbackReason.BadContent, e.Reason));
    }

    [Fact]
    public void A_listed_name_that_is_no_key_is_a_transient_error_of_that_store()
    {
        Assert.Equal("index/ab", ListedKey.Parse("repo/index/ab", "repo/", "s3:b/repo/"));

        var flipped = Assert.Throws<ObjectStoreException>(() => ListedKey.Parse("repo/index/a\u0001b", "repo/", "s3:b/repo/"));
        Assert.True(flipped.IsTransient);
        Assert.Equal("s3:b/repo/: the listing returned 'repo/index/a?b', which is not a key of this repository (a damaged reply)", flipped.Message);
        Assert.True(Assert.Throws<ObjectStoreException>(() => ListedKey.Parse("rep0/index/ab", "repo/", "s3:b/repo/")).IsTransient);
    }

    private static string ObjectKeysSnapshot(string id) => "snapshots/" + id;

    private async Task SeedTwoCopiesAsync()
    {
        var (store, repo) = await NewRepoAsync();
        var source = _dir.Sub("source");
        Directory.CreateDirectory(source);
        for (var i = 0; i < 4; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(source, $"f{i}.bin"), RandomBytes(150_000 + i, seed: i));
        }

        await using (repo)
        {
            _snapshot = (await BackupAsync(repo, source)).Snapshot;
        }

        _primary = store;
        _replica = new InMemoryObjectStore { Description = "mem:replica" };
        foreach (var key in store.Keys)
        {
            _replica[key] = (byte[])store[key].Clone();
        }
    }

    private async Task<(BackupRepository Repository, IReadOnlyList<Snapshot> Snapshots)> OpenAndListAsync(IObjectStore? primary = null)
    {
        var view = new VerifiedPackReadStore(new FallbackObjectStore([Named(primary ?? _primary), _replica], new SyncProgress(_events)));
        var repository = await BackupRepository.OpenAsync(view, Key, CancellationToken.None);
        return (repository, await repository.ListSnapshotsAsync(CancellationToken.None));
    }

    /// <summary>The seeded store renamed "mem:primary" (NewRepoAsync's store keeps the default description otherwise).</summary>
    private static IObjectStore Named(IObjectStore store) => store is InMemoryObjectStore memory ? Renamed(memory) : store;

    private static InMemoryObjectStore Renamed(InMemoryObjectStore store)
    {
        var renamed = new InMemoryObjectStore { Description = "mem:primary" };
        foreach (var key in store.Keys)
        {
            renamed[key] = store[key];
        }

        return renamed;
    }

    private static void Flip(InMemoryObjectStore store, string key)
    {
        var bytes = (byte[])store[key].Clone();
        bytes[bytes.Length / 2] ^= 0x20;
        store[key] = bytes;
    }

    private sealed class SyncProgress(ConcurrentQueue<ReadFallbackEvent> sink) : IProgress<ReadFallbackEvent>
    {
        public void Report(ReadFallbackEvent value) => sink.Enqueue(value);
    }

    /// <summary>Serves objects under a prefix with a body that fails after its first bytes, as a reset connection does.</summary>
    private sealed class BodyFailingStore(InMemoryObjectStore inner, string prefix) : IObjectStore
    {
        private readonly InMemoryObjectStore _inner = Renamed(inner);

        public string Description => _inner.Description;

        public ObjectStoreCapabilities Capabilities => _inner.Capabilities;

        public async Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken)
        {
            var stream = await _inner.GetAsync(key, range, cancellationToken);
            return key.StartsWith(prefix, StringComparison.Ordinal) ? new FailingAfterStart(stream, Description, key) : stream;
        }

        public Task PutAsync(string key, Stream content, CancellationToken cancellationToken) => _inner.PutAsync(key, content, cancellationToken);

        public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken) => _inner.StatAsync(key, cancellationToken);

        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => _inner.ListAsync(prefix, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken) => _inner.DeleteAsync(key, cancellationToken);
    }

    private sealed class FailingAfterStart(Stream inner, string store, string key) : ForwardReadStream
    {
        private bool _started;

        public override int Read(Span<byte> buffer) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_started)
            {
                throw new ObjectStoreException(store, key, "connection reset while reading the body", isTransient: true);
            }

            _started = true;
            return await inner.ReadAsync(buffer[..Math.Min(buffer.Length, 10)], cancellationToken);
        }
    }
}
