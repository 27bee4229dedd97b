using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Core.Tests.Repository;

/// <summary>The local index cache (docs/decisions.md §24): same answers as reading the index objects, never trusted when altered or stale.</summary>
public sealed class IndexCacheTests : IDisposable
{
    private readonly TempDir _dir = new();

    private IndexCacheOptions Options => new(_dir.Sub("cache")) { MinimumIndexBytes = 0 };

    public void Dispose() => _dir.Dispose();

    private static PackRecord Pack(Random rng, int entries)
    {
        var bytes = new byte[BlobId.Size];
        BlobId Next()
        {
            rng.NextBytes(bytes);
            return new BlobId(bytes);
        }

        var list = new List<PackEntry>();
        uint offset = 0;
        for (var i = 0; i < entries; i++)
        {
            var length = (uint)rng.Next(100, 5000);
            list.Add(new PackEntry(i % 3 == 0 ? BlobType.Tree : BlobType.Data, i % 2 == 0, Next(), offset, length, length + 7));
            offset += length;
        }

        return new PackRecord(Next(), offset, list);
    }

    /// <summary>A repository with <paramref name="objects"/> index objects of 50 packs of 12 blobs each.</summary>
    private static async Task<(InMemoryObjectStore Store, BackupRepository Repo, List<PackRecord> Packs)> RepositoryAsync(int objects, int seed = 1)
    {
        var (store, repo) = await TestSupport.NewRepoAsync();
        var rng = new Random(seed);
        var all = new List<PackRecord>();
        for (var i = 0; i < objects; i++)
        {
            var packs = Enumerable.Range(0, 50).Select(_ => Pack(rng, 12)).ToList();
            await repo.SaveIndexAsync(packs, CancellationToken.None);
            all.AddRange(packs);
        }

        return (store, repo, all);
    }

    /// <summary>Every blob with its pack id (not its number: numbers depend on the order objects were read).</summary>
    private static List<string> Contents(BackupRepository repo) =>
        [.. repo.Index.Blobs().Select(b => $"{b.Key} {repo.Index.PackId(b.Value.Pack)} {b.Value with { Pack = 0 }}")];

    private static async Task<(BackupRepository Repo, List<string> IndexGets)> OpenAsync(InMemoryObjectStore store, IndexCacheOptions? options)
    {
        var gets = new List<string>();
        store.BeforeGet = (key, _) =>
        {
            if (key.StartsWith(ObjectKeys.IndexPrefix, StringComparison.Ordinal))
            {
                lock (gets)
                {
                    gets.Add(key);
                }
            }

            return Task.CompletedTask;
        };
        var repo = await BackupRepository.OpenAsync(store, TestSupport.Key, options, CancellationToken.None);
        store.BeforeGet = null;
        return (repo, gets);
    }

    private string CacheFile(BackupRepository repo) => Path.Combine(Options.Directory, repo.Config.RepositoryId + ".index");

    [Fact]
    public async Task A_warm_open_reads_no_index_object_and_answers_every_lookup_as_a_cold_one()
    {
        var (store, _, packs) = await RepositoryAsync(objects: 6);
        var (cold, coldGets) = await OpenAsync(store, null);
        Assert.Equal(6, coldGets.Count);
        Assert.False(File.Exists(CacheFile(cold)));

        var (first, firstGets) = await OpenAsync(store, Options);
        Assert.Equal(6, firstGets.Count);
        Assert.Equal(new IndexLoadReport(6, 6, FromCache: false, CacheWritten: true, null), first.IndexLoad);
        var (warm, warmGets) = await OpenAsync(store, Options);

        Assert.Empty(warmGets);
        Assert.Equal(new IndexLoadReport(6, 0, FromCache: true, CacheWritten: false, null), warm.IndexLoad);
        Assert.Equal(6 * 50 * 12, warm.Index.BlobCount);
        Assert.Equal(Contents(cold), Contents(warm));
        Assert.Equal(cold.Index.Packs().Order(), warm.Index.Packs().Order());
        foreach (var pack in packs)
        {
            foreach (var e in pack.Entries)
            {
                Assert.True(warm.Index.TryGet(e.Id, out var at));
                Assert.Equal((pack.Id, e.Offset, e.Length, e.PlainLength, e.Type, e.Compressed), (warm.Index.PackId(at.Pack), at.Offset, at.Length, at.PlainLength, at.Type, at.Compressed));
            }
        }

        Assert.False(warm.Index.TryGet(BlobId.Random(), out _));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(CacheFile(warm)));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Options.Directory));
        }
    }

    [Fact]
    public async Task An_index_read_from_the_cache_finds_tree_runs_and_takes_new_packs()
    {
        var (store, _, packs) = await RepositoryAsync(objects: 2);
        await OpenAsync(store, Options);
        var (warm, _) = await OpenAsync(store, Options);
        Assert.True(warm.IndexLoad.FromCache);

        var tree = packs[3].Entries[3];
        Assert.True(warm.Index.TryGet(tree.Id, out var at));
        // Data blobs (at most 2 × 5,000 bytes) sit between the trees: a gap of 20,000 joins them all.
        var run = warm.Index.TreeRun(tree.Id, at, maxGap: 20_000, maxSpan: long.MaxValue);
        Assert.Equal(packs[3].Entries.Where(e => e.Type == BlobType.Tree).Select(e => e.Id), run.Select(r => r.Id));

        var added = Pack(new Random(99), 5);
        await warm.SaveIndexAsync([added], CancellationToken.None);
        Assert.True(warm.Index.TryGet(added.Entries[4].Id, out var addedAt));
        Assert.Equal(added.Id, warm.Index.PackId(addedAt.Pack));
        Assert.Equal(packs.Count + 1, warm.Index.Packs().Count);
    }

    [Theory]
    [InlineData(0)] // the magic
    [InlineData(20)] // the repository id
    [InlineData(60)] // an index object id
    [InlineData(-200)] // a blob record
    [InlineData(-1)] // the MAC
    public async Task A_cache_with_one_byte_changed_is_ignored_and_rewritten(int position)
    {
        var (store, _, _) = await RepositoryAsync(objects: 3);
        var (cold, _) = await OpenAsync(store, null);
        await OpenAsync(store, Options);
        var file = CacheFile(cold);
        var bytes = File.ReadAllBytes(file);
        var at = position >= 0 ? position : bytes.Length + position;
        bytes[at] ^= 0x04;
        File.WriteAllBytes(file, bytes);

        var (opened, gets) = await OpenAsync(store, Options);

        Assert.Equal(3, gets.Count);
        Assert.False(opened.IndexLoad.FromCache);
        Assert.True(opened.IndexLoad.CacheWritten);
        Assert.StartsWith(file + ": ", opened.IndexLoad.CacheProblem);
        Assert.EndsWith("ignored", opened.IndexLoad.CacheProblem);
        Assert.Equal(Contents(cold), Contents(opened));
        Assert.NotEqual(bytes, File.ReadAllBytes(file));
        Assert.True((await OpenAsync(store, Options)).Repo.IndexLoad.FromCache);
    }

    [Fact]
    public async Task A_truncated_or_empty_cache_is_ignored()
    {
        var (store, _, _) = await RepositoryAsync(objects: 2);
        var (cold, _) = await OpenAsync(store, null);
        await OpenAsync(store, Options);
        var file = CacheFile(cold);
        var whole = File.ReadAllBytes(file);

        foreach (var length in new[] { whole.Length - 1, whole.Length / 2, 10, 0 })
        {
            File.WriteAllBytes(file, whole[..length]);
            var (opened, gets) = await OpenAsync(store, Options);
            Assert.Equal(2, gets.Count);
            Assert.False(opened.IndexLoad.FromCache);
            Assert.NotNull(opened.IndexLoad.CacheProblem);
            Assert.Equal(Contents(cold), Contents(opened));
        }
    }

    [Fact]
    public async Task An_added_index_object_is_read_alone_and_a_removed_one_rebuilds_the_cache()
    {
        var (store, repo, packs) = await RepositoryAsync(objects: 4);
        await OpenAsync(store, Options);
        var added = Pack(new Random(7), 12);
        await repo.SaveIndexAsync([added], CancellationToken.None);

        var (extended, gets) = await OpenAsync(store, Options);
        Assert.Single(gets);
        Assert.True(extended.IndexLoad.FromCache);
        Assert.True(extended.Index.TryGet(added.Entries[11].Id, out var at));
        Assert.Equal(added.Id, extended.Index.PackId(at.Pack));
        Assert.Equal(Contents((await OpenAsync(store, null)).Repo), Contents(extended));

        // What index object holds packs[0]: prune deletes such objects once it has rewritten them.
        var removed = store.Keys.Where(k => k.StartsWith(ObjectKeys.IndexPrefix, StringComparison.Ordinal))
            .First(k => RepositoryIndex.Decode(ObjectCodec.Open(repo.Key, ObjectCodec.Index, store[k])).Any(p => p.Id == packs[0].Id));
        await store.DeleteAsync(removed, CancellationToken.None);

        var (pruned, prunedGets) = await OpenAsync(store, Options);
        Assert.Equal(4, prunedGets.Count);
        Assert.False(pruned.IndexLoad.FromCache);
        Assert.True(pruned.IndexLoad.CacheWritten);
        Assert.Contains("holds index objects the repository no longer lists", pruned.IndexLoad.CacheProblem);
        Assert.False(pruned.Index.TryGet(packs[0].Entries[0].Id, out _));
        Assert.True(pruned.Index.TryGet(added.Entries[0].Id, out _));
        Assert.Equal(Contents((await OpenAsync(store, null)).Repo), Contents(pruned));
        var (after, afterGets) = await OpenAsync(store, Options);
        Assert.Empty(afterGets);
        Assert.Equal(Contents(pruned), Contents(after));
    }

    [Fact]
    public async Task An_extended_cache_is_rewritten_only_once_what_it_lacks_is_worth_it()
    {
        var (store, repo, _) = await RepositoryAsync(objects: 40);
        await OpenAsync(store, Options);
        await repo.SaveIndexAsync([Pack(new Random(8), 3)], CancellationToken.None);

        var (small, _) = await OpenAsync(store, Options);
        Assert.Equal(new IndexLoadReport(41, 1, FromCache: true, CacheWritten: false, null), small.IndexLoad);

        // 40 objects of 600 blobs cached (1.4 MB with the bucket counts); 4 more of that size are
        // more than a sixteenth of it (3 are just below).
        var rng = new Random(9);
        for (var i = 0; i < 4; i++)
        {
            await repo.SaveIndexAsync([.. Enumerable.Range(0, 50).Select(_ => Pack(rng, 12))], CancellationToken.None);
        }

        var (large, _) = await OpenAsync(store, Options);
        Assert.Equal(new IndexLoadReport(45, 5, FromCache: true, CacheWritten: true, null), large.IndexLoad);
        var (next, gets) = await OpenAsync(store, Options);
        Assert.Empty(gets);
        Assert.Equal(Contents(large), Contents(next));
    }

    [Fact]
    public async Task A_cache_of_another_repository_or_written_with_another_key_is_ignored()
    {
        var (store, _, _) = await RepositoryAsync(objects: 2, seed: 1);
        var (otherStore, _, _) = await RepositoryAsync(objects: 2, seed: 2);
        var (repo, _) = await OpenAsync(store, Options);
        var (other, _) = await OpenAsync(otherStore, Options);
        File.Copy(CacheFile(other), CacheFile(repo), overwrite: true);

        var (opened, gets) = await OpenAsync(store, Options);
        Assert.Equal(2, gets.Count);
        Assert.Equal($"{CacheFile(repo)}: the cache belongs to another repository; ignored", opened.IndexLoad.CacheProblem);
        Assert.Equal(Contents((await OpenAsync(store, null)).Repo), Contents(opened));

        // The same repository id, sealed with a key that is not this repository's.
        IndexCache.For(Options, repo.Config, MasterKey.Generate())!.Save(other.Index, []);
        var (again, againGets) = await OpenAsync(store, Options);
        Assert.Equal(2, againGets.Count);
        Assert.Equal($"{CacheFile(repo)}: MAC does not match (damaged, or written with another key); ignored", again.IndexLoad.CacheProblem);
        Assert.Equal(Contents(opened), Contents(again));
    }

    [Fact]
    public async Task Opens_that_write_the_cache_at_once_leave_one_complete_file_and_no_temporary_one()
    {
        var (store, _, _) = await RepositoryAsync(objects: 5);
        var (cold, _) = await OpenAsync(store, null);
        var stale = CacheFile(cold) + ".tmp-1-deadbeef";
        Directory.CreateDirectory(Options.Directory);
        File.WriteAllText(stale, "left by a killed writer");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));

        var opens = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            Task.Run(() => BackupRepository.OpenAsync(store, TestSupport.Key, Options, CancellationToken.None))));

        Assert.All(opens, o => Assert.Equal(Contents(cold), Contents(o)));
        Assert.Equal([Path.GetFileName(CacheFile(cold))], Directory.GetFiles(Options.Directory).Select(Path.GetFileName));
        var (warm, gets) = await OpenAsync(store, Options);
        Assert.Empty(gets);
        Assert.Equal(Contents(cold), Contents(warm));
    }

    [Fact]
    public async Task A_wrong_key_with_a_cache_folder_is_the_same_error_and_writes_no_cache()
    {
        var (store, _, _) = await RepositoryAsync(objects: 2);

        var e = await Assert.ThrowsAsync<WrongRepositoryKeyException>(() =>
            BackupRepository.OpenAsync(store, RepositoryKey.FromPassphrase("not it"), Options, CancellationToken.None));

        Assert.Equal("wrong repository key for memory:test: no key in keys/ opens with it", e.Message);
        Assert.False(Directory.Exists(Options.Directory));
    }

    [Fact]
    public async Task No_cache_is_written_for_a_small_index()
    {
        var (store, _, _) = await RepositoryAsync(objects: 15);
        var small = new IndexCacheOptions(_dir.Sub("small")) { MinimumIndexBytes = 1024 * 1024 };
        var listed = await store.ListAllAsync(ObjectKeys.IndexPrefix, CancellationToken.None);
        Assert.True(listed.Sum(i => i.Size) < small.MinimumIndexBytes);

        var repo = await BackupRepository.OpenAsync(store, TestSupport.Key, small, CancellationToken.None);
        Assert.Equal(new IndexLoadReport(15, 15, FromCache: false, CacheWritten: false, null), repo.IndexLoad);
        Assert.False(Directory.Exists(small.Directory));

        // The sixteenth index object: as many requests as a cache is worth saving.
        await repo.SaveIndexAsync([Pack(new Random(3), 2)], CancellationToken.None);
        var grown = await BackupRepository.OpenAsync(store, TestSupport.Key, small, CancellationToken.None);
        Assert.True(grown.IndexLoad.CacheWritten);
    }

    [Fact]
    public async Task A_cache_that_cannot_be_written_leaves_the_open_working()
    {
        var (store, _, _) = await RepositoryAsync(objects: 2);
        File.WriteAllText(_dir.Sub("not-a-folder"), "a file where the cache folder should be");

        var repo = await BackupRepository.OpenAsync(store, TestSupport.Key, new IndexCacheOptions(_dir.Sub("not-a-folder")) { MinimumIndexBytes = 0 }, CancellationToken.None);

        Assert.False(repo.IndexLoad.CacheWritten);
        Assert.StartsWith(_dir.Sub("not-a-folder") + Path.DirectorySeparatorChar, repo.IndexLoad.CacheProblem);
        Assert.Contains(": cannot be written: ", repo.IndexLoad.CacheProblem);
        Assert.Equal(2 * 50 * 12, repo.Index.BlobCount);
    }

    [Fact]
    public void A_table_written_and_read_back_answers_the_same_and_a_wrong_count_is_refused()
    {
        var table = new CompactBlobTable();
        var rng = new Random(5);
        var ids = new List<BlobId>();
        var bytes = new byte[BlobId.Size];
        for (var i = 0; i < 20_000; i++)
        {
            rng.NextBytes(bytes);
            ids.Add(new BlobId(bytes));
            table.Append(ids[^1], new BlobLocation(i % 300, (uint)i, 10, 12, i % 2 == 0 ? BlobType.Tree : BlobType.Data, i % 3 == 0));
        }

        table.Append(ids[0], new BlobLocation(299, 1, 1, 1, BlobType.Data, false)); // a duplicate: the first stays
        using var stream = new MemoryStream();
        table.WriteTo(stream);
        Assert.Equal(CompactBlobTable.SerializedSize(20_000), stream.Length);

        stream.Position = 0;
        var read = CompactBlobTable.ReadFrom(stream, 20_000);
        Assert.Equal(table.Enumerate(), read.Enumerate());
        Assert.True(read.TryGet(ids[0], out var first));
        Assert.Equal(new BlobLocation(0, 0, 10, 12, BlobType.Tree, true), first);

        stream.Position = 0;
        Assert.Equal("the buckets hold 20000 records, the header says 20001",
            Assert.Throws<FormatException>(() => CompactBlobTable.ReadFrom(stream, 20_001)).Message);
    }
}
