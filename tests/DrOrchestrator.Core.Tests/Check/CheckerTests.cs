using DrOrchestrator.Core.Check;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Restore;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Core.Tests.Check;

public sealed class CheckerTests
{
    private static async Task<List<CheckFinding>> CheckAsync(BackupRepository repo, bool readData)
    {
        var findings = new List<CheckFinding>();
        await foreach (var f in new Checker().CheckAsync(repo, new CheckOptions(readData), CancellationToken.None))
        {
            findings.Add(f);
        }

        return findings;
    }

    [Fact]
    public async Task A_pack_damaged_only_in_transit_is_read_again_and_reported_as_a_read_error_not_as_damage()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("src"));
        File.WriteAllBytes(dir.Sub("src/data.bin"), TestSupport.RandomBytes(40_000, 3));
        var (store, repo) = await TestSupport.NewRepoAsync();
        await TestSupport.BackupAsync(repo, dir.Sub("src"));
        var packKey = store.Keys.First(k => k.StartsWith("data/", StringComparison.Ordinal));
        var packReads = 0;
        var flaky = new FirstReadCorruptingStore(store, packKey, () => Interlocked.Increment(ref packReads));
        repo = await BackupRepository.OpenAsync(flaky, TestSupport.Key, CancellationToken.None);

        var findings = await CheckAsync(repo, readData: true);

        Assert.DoesNotContain(findings, f => f.Severity == CheckSeverity.Error);
        var transit = Assert.Single(findings);
        Assert.Equal((CheckSeverity.Warning, packKey), (transit.Severity, transit.ObjectKey));
        Assert.StartsWith("read error in transit: read 1 hashed to ", transit.Message, StringComparison.Ordinal);
        Assert.EndsWith(", read 2 matched the pack's id; the stored pack is intact", transit.Message, StringComparison.Ordinal);
        Assert.Equal(2, packReads);
    }

    [Fact]
    public async Task Metadata_damaged_in_transit_is_read_again_and_only_what_is_damaged_at_rest_is_called_so()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("src/sub"));
        File.WriteAllBytes(dir.Sub("src/sub/data.bin"), TestSupport.RandomBytes(40_000, 5));
        var (store, repo) = await TestSupport.NewRepoAsync();
        var snapshot = (await TestSupport.BackupAsync(repo, dir.Sub("src"))).Snapshot;

        // Every object's first whole read arrives with a flipped byte; the store itself is intact.
        var flaky = new FirstReadOfEachKeyCorruptingStore(store);
        var rereading = new RereadingObjectStore(flaky);
        var findings = await CheckAsync(await BackupRepository.OpenAsync(rereading, TestSupport.Key, CancellationToken.None), readData: true);

        Assert.DoesNotContain(findings, f => f.Severity == CheckSeverity.Error);
        Assert.All(findings, f => Assert.StartsWith("read error in transit: ", f.Message, StringComparison.Ordinal));
        var keys = findings.Select(f => f.ObjectKey!).ToList();
        foreach (var kind in new[] { ObjectKeys.Config, "keys/", "index/", "snapshots/", "data/" })
        {
            Assert.Contains(keys, k => k.StartsWith(kind, StringComparison.Ordinal));
        }

        // The same flaky connection over a snapshot damaged at rest: an error saying so, for it alone.
        var snapshotKey = ObjectKeys.Snapshot(snapshot.Id);
        store[snapshotKey][store[snapshotKey].Length / 2] ^= 0x04;
        flaky = new FirstReadOfEachKeyCorruptingStore(store);
        findings = await CheckAsync(await BackupRepository.OpenAsync(new RereadingObjectStore(flaky), TestSupport.Key, CancellationToken.None), readData: true);

        var error = Assert.Single(findings, f => f.Severity == CheckSeverity.Error);
        Assert.Equal(snapshotKey, error.ObjectKey);
        Assert.EndsWith("damaged at rest: a second read returned the same " + store[snapshotKey].Length + " bytes", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(findings, f => f.ObjectKey != snapshotKey && f.Message.Contains("at rest", StringComparison.Ordinal));
    }

    /// <summary>The first whole read of each key arrives with its first byte flipped; later reads are intact.</summary>
    private sealed class FirstReadOfEachKeyCorruptingStore(InMemoryObjectStore inner) : DrOrchestrator.Core.Storage.IObjectStore
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _read = new(StringComparer.Ordinal);

        public string Description => inner.Description;

        public DrOrchestrator.Core.Storage.ObjectStoreCapabilities Capabilities => inner.Capabilities;

        public async Task<Stream> GetAsync(string k, DrOrchestrator.Core.Storage.ByteRange? range, CancellationToken cancellationToken)
        {
            var stream = await inner.GetAsync(k, range, cancellationToken);
            return range is null && _read.TryAdd(k, true) ? new CorruptingReadStream(stream) : stream;
        }

        public Task PutAsync(string k, Stream content, CancellationToken cancellationToken) => inner.PutAsync(k, content, cancellationToken);

        public Task<DrOrchestrator.Core.Storage.ObjectInfo?> StatAsync(string k, CancellationToken cancellationToken) => inner.StatAsync(k, cancellationToken);

        public IAsyncEnumerable<DrOrchestrator.Core.Storage.ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

        public Task DeleteAsync(string k, CancellationToken cancellationToken) => inner.DeleteAsync(k, cancellationToken);
    }

    /// <summary>The first whole read of one key arrives with a flipped byte, as through a bad connection; every later read is intact.</summary>
    private sealed class FirstReadCorruptingStore(InMemoryObjectStore inner, string key, Func<int> countRead) : DrOrchestrator.Core.Storage.IObjectStore
    {
        public string Description => inner.Description;

        public DrOrchestrator.Core.Storage.ObjectStoreCapabilities Capabilities => inner.Capabilities;

        public async Task<Stream> GetAsync(string k, DrOrchestrator.Core.Storage.ByteRange? range, CancellationToken cancellationToken)
        {
            var stream = await inner.GetAsync(k, range, cancellationToken);
            return k == key && range is null && countRead() == 1 ? new CorruptingReadStream(stream) : stream;
        }

        public Task PutAsync(string k, Stream content, CancellationToken cancellationToken) => inner.PutAsync(k, content, cancellationToken);

        public Task<DrOrchestrator.Core.Storage.ObjectInfo?> StatAsync(string k, CancellationToken cancellationToken) => inner.StatAsync(k, cancellationToken);

        public IAsyncEnumerable<DrOrchestrator.Core.Storage.ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

        public Task DeleteAsync(string k, CancellationToken cancellationToken) => inner.DeleteAsync(k, cancellationToken);
    }

    [Fact]
    public async Task A_healthy_repository_has_no_findings()
    {
        using var dir = new TempDir();
        Backup.EdgeCaseTree.Create(dir.Sub("src"));
        var (_, repo) = await TestSupport.NewRepoAsync();
        await TestSupport.BackupAsync(repo, dir.Sub("src"));

        Assert.Empty(await CheckAsync(repo, readData: true));
    }

    [Fact]
    public async Task A_flipped_byte_is_found_by_read_data_naming_the_pack_and_file_and_restore_lists_the_file()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("src"));
        var victim = TestSupport.RandomBytes(12_000, 21);
        File.WriteAllBytes(dir.Sub("src/victim.bin"), victim);
        File.WriteAllText(dir.Sub("src/other.txt"), "fine");
        var (store, repo) = await TestSupport.NewRepoAsync();
        var snapshot = (await TestSupport.BackupAsync(repo, dir.Sub("src"))).Snapshot;
        Assert.True(repo.Index.TryGet(BlobId.Hash(victim), out var loc));
        var packKey = ObjectKeys.Pack(repo.Index.PackId(loc.Pack));
        store[packKey][(int)loc.Offset + 50] ^= 0x01;
        repo = await BackupRepository.OpenAsync(store, TestSupport.Key, CancellationToken.None);

        Assert.DoesNotContain(await CheckAsync(repo, readData: false), f => f.Severity == CheckSeverity.Error);
        var errors = (await CheckAsync(repo, readData: true)).Where(f => f.Severity == CheckSeverity.Error).ToList();

        Assert.Contains(errors, f => f.ObjectKey == packKey && f.Message.StartsWith("pack content does not match its id", StringComparison.Ordinal)
            && f.Message.EndsWith("the same on a second read): the pack is damaged at rest", StringComparison.Ordinal));
        var blobError = Assert.Single(errors, f => f.AffectedFiles.Count > 0);
        Assert.Equal(packKey, blobError.ObjectKey);
        Assert.Equal([$"{snapshot.ShortId}:src/victim.bin"], blobError.AffectedFiles);
        Assert.StartsWith($"blob {BlobId.Hash(victim).ToShortString()} is damaged: cannot be decrypted", blobError.Message, StringComparison.Ordinal);

        var restored = await TestSupport.RestoreAsync(repo, snapshot, dir.Sub("out"));
        var failure = Assert.Single(restored.Failures);
        Assert.Equal("src/victim.bin", failure.Path);
        Assert.Contains($"{packKey}: blob {BlobId.Hash(victim).ToShortString()} is corrupt", failure.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.Sub("out/src/victim.bin")));
        Assert.Equal("fine", File.ReadAllText(dir.Sub("out/src/other.txt")));
    }

    /// <summary>A new repository holding one backup of src/a.bin (12,000 random bytes).</summary>
    private static async Task<(InMemoryObjectStore Store, BackupRepository Repo, Snapshot Snapshot, byte[] Data)> BackUpOneFileAsync(TempDir dir, int seed)
    {
        Directory.CreateDirectory(dir.Sub("src"));
        var data = TestSupport.RandomBytes(12_000, seed);
        File.WriteAllBytes(dir.Sub("src/a.bin"), data);
        var (store, repo) = await TestSupport.NewRepoAsync();
        return (store, repo, (await TestSupport.BackupAsync(repo, dir.Sub("src"))).Snapshot, data);
    }

    [Fact]
    public async Task Missing_pack_is_an_error_naming_affected_files_and_stray_pack_is_info()
    {
        using var dir = new TempDir();
        var (store, repo, first, data) = await BackUpOneFileAsync(dir, seed: 22);
        File.WriteAllText(dir.Sub("src/b.txt"), "b");
        var snapshot = (await TestSupport.BackupAsync(repo, dir.Sub("src"), first)).Snapshot;
        Assert.True(repo.Index.TryGet(BlobId.Hash(data), out var loc));
        var packKey = ObjectKeys.Pack(repo.Index.PackId(loc.Pack));
        var stray = ObjectKeys.Pack(BlobId.Hash("stray"u8));
        store[stray] = [1, 2, 3];
        await store.DeleteAsync(packKey, CancellationToken.None);

        var findings = await CheckAsync(repo, readData: false);

        Assert.Contains(findings, f => f is { Severity: CheckSeverity.Info, Message: "unreferenced pack (left by an interrupted backup)" } && f.ObjectKey == stray);
        Assert.Contains(findings, f => f.Severity == CheckSeverity.Error && f.ObjectKey == packKey && f.Message == "pack is missing from the store (listed in an index)");
        // Trees have packs of their own, so both snapshots' trees still load and the lost data is
        // traced to the file in each snapshot that uses it.
        Assert.Contains(findings, f => f.Severity == CheckSeverity.Error
            && f.AffectedFiles.Order(StringComparer.Ordinal).SequenceEqual(new[] { $"{first.ShortId}:src/a.bin", $"{snapshot.ShortId}:src/a.bin" }.Order(StringComparer.Ordinal)));
        Assert.DoesNotContain(findings, f => f.Message.Contains("cannot be loaded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Missing_tree_pack_is_an_error_naming_the_snapshot_and_leaves_the_data_packs_alone()
    {
        using var dir = new TempDir();
        var (store, repo, snapshot, data) = await BackUpOneFileAsync(dir, seed: 23);
        Assert.True(repo.Index.TryGet(BlobId.Parse(snapshot.TreeId), out var tree));
        Assert.True(repo.Index.TryGet(BlobId.Hash(data), out var content));
        Assert.NotEqual(tree.Pack, content.Pack); // trees are packed apart from data
        await store.DeleteAsync(ObjectKeys.Pack(repo.Index.PackId(tree.Pack)), CancellationToken.None);

        var findings = await CheckAsync(repo, readData: false);

        Assert.Contains(findings, f => f.Severity == CheckSeverity.Error && f.ObjectKey == "snapshots/" + snapshot.Id && f.Message.StartsWith("tree of \"/\" cannot be loaded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unreadable_index_and_snapshot_are_errors_not_exceptions()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("src"));
        File.WriteAllText(dir.Sub("src/a.txt"), "a");
        var (store, repo) = await TestSupport.NewRepoAsync();
        var snapshot = (await TestSupport.BackupAsync(repo, dir.Sub("src"))).Snapshot;
        store["snapshots/" + snapshot.Id][40] ^= 1;
        store["index/" + new string('0', 64)] = [9, 9, 9];
        repo = await BackupRepository.OpenAsync(store, TestSupport.Key, CancellationToken.None);

        var errors = (await CheckAsync(repo, readData: true)).Where(f => f.Severity == CheckSeverity.Error).Select(f => f.ObjectKey).ToList();

        Assert.Contains("snapshots/" + snapshot.Id, errors);
        Assert.Contains("index/" + new string('0', 64), errors);
        Assert.Empty(await repo.ListSnapshotsAsync(CancellationToken.None));
    }
}
