using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Restore;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Composite;

namespace DrOrchestrator.Core.Tests.Restore;

/// <summary>A damaged pack must never leave damaged files under their real names, nor stop the restore of the others.</summary>
public sealed class DamagedPackRestoreTests
{
    [Fact]
    public async Task A_flipped_byte_fails_exactly_the_files_using_the_blob_and_restores_every_other()
    {
        using var dir = new TempDir();
        var (repo, snapshot, files) = await BackUpAsync(dir);

        // The twins share their chunks (dedup): damaging one of them damages both.
        var damaged = files["src/twin-a.bin"].Content[0];
        var (packKey, pack) = Damage(repo, damaged, at: l => l.Length / 2);
        var others = files.Where(f => f.Value.Content.Any(c => repo.Index.TryGet(c, out var l) && l.Pack == pack && c != damaged)).Select(f => f.Key).ToList();
        Assert.NotEmpty(others); // the pack holds parts of several files
        var affected = files.Where(f => f.Value.Content.Contains(damaged)).Select(f => f.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("src/twin-b.bin", affected);

        var result = await TestSupport.RestoreAsync(repo, snapshot, dir.Sub("out"));

        Assert.Equal(affected, result.Failures.Select(f => f.Path));
        Assert.All(result.Failures, f => Assert.Contains($"{packKey}: blob {damaged.ToShortString()} is corrupt", f.Message, StringComparison.Ordinal));
        Assert.All(result.Failures, f => Assert.Contains("no good copy elsewhere either", f.Message, StringComparison.Ordinal));
        Assert.Equal(files.Count - affected.Count, result.Files);
        AssertDestination(dir.Sub("out"), files, affected, keptDamaged: false);
    }

    [Fact]
    public async Task Keep_damaged_renames_what_failed_and_nothing_else()
    {
        using var dir = new TempDir();
        var (repo, snapshot, files) = await BackUpAsync(dir);
        Damage(repo, files["src/large.bin"].Content[1], at: _ => 20);

        var result = await new Restorer().RestoreAsync(repo, new RestoreRequest(snapshot, dir.Sub("out"), [], Overwrite: false) { KeepDamaged = true }, null, CancellationToken.None);

        var failure = Assert.Single(result.Failures);
        Assert.Equal("src/large.bin", failure.Path);
        Assert.EndsWith($"(kept as {dir.Sub("out/src/large.bin")}.drorch-damaged)", failure.Message, StringComparison.Ordinal);
        AssertDestination(dir.Sub("out"), files, ["src/large.bin"], keptDamaged: true);
        Assert.Equal(new FileInfo(dir.Sub("src/large.bin")).Length, new FileInfo(dir.Sub("out/src/large.bin.drorch-damaged")).Length);
    }

    [Fact]
    public async Task A_ranged_read_that_returns_bad_bytes_once_is_healed_by_the_verified_whole_pack_retry()
    {
        using var dir = new TempDir();
        var (repo, snapshot, files) = await BackUpAsync(dir);
        var flaky = new FlipOnceStore(repo.Store);
        var reopened = await BackupRepository.OpenAsync(flaky, TestSupport.Key, CancellationToken.None);

        var result = await TestSupport.RestoreAsync(reopened, snapshot, dir.Sub("out"));

        Assert.True(flaky.Flipped > 0);
        Assert.Empty(result.Failures);
        AssertDestination(dir.Sub("out"), files, [], keptDamaged: false);
    }

    [Fact]
    public async Task A_pool_target_restores_a_pack_damaged_on_the_member_read_first_from_the_other_copy()
    {
        using var dir = new TempDir();
        var members = new[] { new PoolMember("m1", new Placement.PlacementTestStore("m1")), new PoolMember("m2", new Placement.PlacementTestStore("m2")) };
        var pool = new PoolObjectStore("p", members, replicationFactor: 2);
        var repo = await BackupRepository.InitAsync(pool, TestSupport.Key, TestSupport.SmallOptions, CancellationToken.None);
        var snapshot = (await TestSupport.BackupAsync(repo, WriteSource(dir))).Snapshot;
        var files = await FilesAsync(repo, snapshot);
        Assert.True(repo.Index.TryGet(files["src/large.bin"].Content[0], out var location));
        var packKey = ObjectKeys.Pack(repo.Index.PackId(location.Pack));
        var first = (Placement.PlacementTestStore)pool.Membership.ReadOrder(packKey)[0].Store;
        first.Corrupt(packKey);

        var result = await TestSupport.RestoreAsync(repo, snapshot, dir.Sub("out"));

        Assert.Empty(result.Failures);
        AssertDestination(dir.Sub("out"), files, [], keptDamaged: false);
    }

    [Fact]
    public async Task A_damaged_directory_listing_fails_that_directory_and_restores_everything_else()
    {
        using var dir = new TempDir();
        var (repo, snapshot, files) = await BackUpAsync(dir);
        var src = (await repo.LoadTreeAsync(BlobId.Parse(snapshot.TreeId), CancellationToken.None)).Single(n => n.Name == "src");
        var subtree = (await repo.LoadTreeAsync(src.Subtree, CancellationToken.None)).Single(n => n.Name == "d").Subtree;
        var (packKey, _) = Damage(repo, subtree, at: l => l.Length / 2);
        // A fresh open: the repository above keeps the tree runs it read.
        var reopened = await BackupRepository.OpenAsync(repo.Store, TestSupport.Key, CancellationToken.None);
        var below = files.Keys.Where(k => k.StartsWith("src/d/", StringComparison.Ordinal)).ToList();
        Assert.Equal(12, below.Count);

        var result = await TestSupport.RestoreAsync(reopened, snapshot, dir.Sub("out"));

        var failure = Assert.Single(result.Failures);
        Assert.Equal("src/d", failure.Path);
        Assert.StartsWith($"directory listing (tree {subtree.ToShortString()}) cannot be read, nothing in it restored: ", failure.Message, StringComparison.Ordinal);
        Assert.Contains($"{packKey}: blob {subtree} is corrupt", failure.Message, StringComparison.Ordinal);
        Assert.Equal(files.Count - below.Count, result.Files);
        Assert.False(Directory.Exists(dir.Sub("out/src/d")), "no empty directory stands for the files that were lost");
        AssertDestination(dir.Sub("out"), files, below, keptDamaged: false);
    }

    [Fact]
    public async Task An_interrupted_restore_leaves_only_verified_files_and_no_temporary_ones()
    {
        using var dir = new TempDir();
        var (repo, snapshot, files) = await BackUpAsync(dir);
        using var cts = new CancellationTokenSource();
        var store = (DrOrchestrator.Testing.InMemoryObjectStore)repo.Store;
        var dataPacks = files.Values.SelectMany(f => f.Content).Select(c => repo.Index.TryGet(c, out var l) ? ObjectKeys.Pack(repo.Index.PackId(l.Pack)) : "").ToHashSet();
        Assert.True(dataPacks.Count >= 4, $"{dataPacks.Count} packs of file data");
        var dataReads = 0;
        store.BeforeGet = async (key, ct) =>
        {
            // Let a few reads of file data through (trees have packs of their own), then cancel while the rest are pending.
            if (dataPacks.Contains(key) && Interlocked.Increment(ref dataReads) == 3)
            {
                await cts.CancelAsync();
                ct.ThrowIfCancellationRequested();
            }
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new Restorer().RestoreAsync(repo, new RestoreRequest(snapshot, dir.Sub("out"), [], Overwrite: false), null, cts.Token));

        var present = Directory.GetFiles(dir.Sub("out"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir.Sub("out"), f)).ToList();
        Assert.True(present.Count < files.Count, string.Join(", ", present));
        Assert.All(present, p => Assert.Equal(files[p].FileHash.ToString(), TestSupport.Sha256(dir.Sub("out/" + p))));
    }

    /// <summary>Backs up <see cref="WriteSource"/> into a new in-memory repository; returns its file nodes by snapshot path.</summary>
    private static async Task<(BackupRepository Repo, Snapshot Snapshot, Dictionary<string, TreeNode> Files)> BackUpAsync(TempDir dir)
    {
        var (_, repo) = await TestSupport.NewRepoAsync();
        var snapshot = (await TestSupport.BackupAsync(repo, WriteSource(dir))).Snapshot;
        return (repo, snapshot, await FilesAsync(repo, snapshot));
    }

    /// <summary>Flips one byte of the stored blob <paramref name="id"/> (at the offset <paramref name="at"/> picks within it); returns its pack.</summary>
    private static (string Key, int Pack) Damage(BackupRepository repo, BlobId id, Func<BlobLocation, long> at)
    {
        Assert.True(repo.Index.TryGet(id, out var location));
        var packKey = ObjectKeys.Pack(repo.Index.PackId(location.Pack));
        var store = (DrOrchestrator.Testing.InMemoryObjectStore)repo.Store;
        var bytes = store[packKey];
        bytes[(int)(location.Offset + at(location))] ^= 0x01;
        store[packKey] = bytes;
        return (packKey, location.Pack);
    }

    private static string WriteSource(TempDir dir)
    {
        var source = dir.Sub("src");
        Directory.CreateDirectory(Path.Combine(source, "d"));
        for (var i = 0; i < 12; i++)
        {
            File.WriteAllBytes(Path.Combine(source, "d", $"part-{i:D2}"), TestSupport.RandomBytes(20_000 + (i * 997), seed: i));
        }

        var twin = TestSupport.RandomBytes(40_000, seed: 50);
        File.WriteAllBytes(Path.Combine(source, "twin-a.bin"), twin);
        File.WriteAllBytes(Path.Combine(source, "twin-b.bin"), twin);
        File.WriteAllBytes(Path.Combine(source, "large.bin"), TestSupport.RandomBytes(900_000, seed: 51));
        File.WriteAllBytes(Path.Combine(source, "empty"), []);
        return source;
    }

    /// <summary>Every file node of the snapshot by snapshot path ("src/d/part-00").</summary>
    private static async Task<Dictionary<string, TreeNode>> FilesAsync(BackupRepository repo, Snapshot snapshot)
    {
        var result = new Dictionary<string, TreeNode>(StringComparer.Ordinal);
        async Task WalkAsync(BlobId tree, string prefix)
        {
            foreach (var node in await repo.LoadTreeAsync(tree, CancellationToken.None))
            {
                var path = prefix.Length == 0 ? node.Name : prefix + "/" + node.Name;
                if (node.Type == NodeType.Directory)
                {
                    await WalkAsync(node.Subtree, path);
                }
                else if (node.Type == NodeType.File)
                {
                    result[path] = node;
                }
            }
        }

        await WalkAsync(BlobId.Parse(snapshot.TreeId), "");
        return result;
    }

    /// <summary>
    /// No file in the destination differs from its recorded SHA-256; every file is there unless it
    /// failed; failed files are absent under their names (kept as .drorch-damaged only when asked);
    /// no temporary file is left.
    /// </summary>
    private static void AssertDestination(string destination, Dictionary<string, TreeNode> files, IReadOnlyCollection<string> failed, bool keptDamaged)
    {
        var present = Directory.GetFiles(destination, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(destination, f)).Order(StringComparer.Ordinal).ToList();
        var expected = files.Keys.Where(k => !failed.Contains(k))
            .Concat(keptDamaged ? failed.Select(f => f + FileTarget.DamagedSuffix) : [])
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, present);
        foreach (var path in present.Where(p => !p.EndsWith(FileTarget.DamagedSuffix, StringComparison.Ordinal)))
        {
            Assert.Equal(files[path].FileHash.ToString(), TestSupport.Sha256(Path.Combine(destination, path)));
        }
    }

    /// <summary>Flips a byte in the first large ranged pack read it serves (data, not the small tree reads); whole-object reads pass untouched.</summary>
    private sealed class FlipOnceStore(IObjectStore inner) : IObjectStore
    {
        private int _flipped;

        public int Flipped => _flipped;

        public string Description => "flip-once:" + inner.Description;

        public ObjectStoreCapabilities Capabilities => inner.Capabilities;

        public async Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken)
        {
            var stream = await inner.GetAsync(key, range, cancellationToken);
            if (range is null || !key.StartsWith("data/", StringComparison.Ordinal) || range.Value.Length < 20_000 || Interlocked.CompareExchange(ref _flipped, 1, 0) != 0)
            {
                return stream;
            }

            var copy = new MemoryStream();
            await using (stream)
            {
                await stream.CopyToAsync(copy, cancellationToken);
            }

            copy.GetBuffer()[copy.Length / 2] ^= 0x01;
            copy.Position = 0;
            return copy;
        }

        public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken) => inner.StatAsync(key, cancellationToken);

        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

        public Task PutAsync(string key, Stream content, CancellationToken cancellationToken) => inner.PutAsync(key, content, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);
    }
}
