using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Restore;

namespace DrOrchestrator.Core.Tests.Restore;

/// <summary>
/// What a restore holds per file while it runs (docs/decisions.md §66): the write state of a file
/// (claimed chunks, hash, handle, temporary name) exists from its first chunk until it is renamed
/// or discarded, never for the whole restore; each pack's chunk uses are let go once handed out.
/// Packs are read one at a time here, so which files must hold state after each pack is exact.
/// </summary>
public sealed class RestoreStateTests
{
    [Fact]
    public async Task Write_state_lives_from_a_files_first_chunk_to_its_rename_and_no_longer()
    {
        using var dir = new TempDir();
        var (expected, repo, snapshot, destination, plan) = await PlanAsync(dir);

        var packs = Restorer.GroupByPack(repo, plan.Files);

        // Every chunk of every file is one use, in the pack the index names, sorted by offset.
        Assert.Equal(plan.Files.Sum(f => f.ChunkCount), packs.Sum(p => p.Uses.Length));
        Assert.All(packs, p => Assert.All(p.Uses, u => Assert.Equal(p.Pack, u.Location.Pack)));
        Assert.All(packs, p => Assert.Equal(p.Uses.OrderBy(u => u.Location.Offset).Select(u => u.Location.Offset), p.Uses.Select(u => u.Location.Offset)));
        Assert.True(packs.Count >= 10, $"{packs.Count} packs: the test needs files spread over many");
        Assert.Contains(plan.Files, f => f.ChunkCount > 1 && packs.Count(p => p.Uses.Any(u => u.File == f)) > 1);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), plan.Files.Select(f => Path.GetRelativePath(destination, f.Path)).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(plan.Files, f => f.Writing);

        var finished = new PageCacheReleaser();
        var context = new FileWriteContext(new RestoreRequest(snapshot, destination, [], Overwrite: false), BufferPool.Engine, finished);
        var completed = new List<FileTarget>();
        var reader = new PackReader(repo, context, completed.Add, retryStore: null);
        foreach (var empty in plan.Files.Where(f => f.ChunkCount == 0))
        {
            Assert.True(empty.WriteEmpty(context));
            completed.Add(empty);
            Assert.False(empty.Writing);
        }

        var done = new HashSet<int>();
        var maxWriting = 0;
        foreach (var pack in packs)
        {
            await reader.RestorePackAsync(pack, CancellationToken.None);
            done.Add(pack.Pack);

            // Renamed exactly when all of its packs are read; holding state exactly while part-written.
            foreach (var file in plan.Files.Where(f => f.ChunkCount > 0))
            {
                var chunksRead = Enumerable.Range(0, file.ChunkCount).Select(file.Chunk).Count(id => repo.Index.TryGet(id, out var at) && done.Contains(at.Pack));
                Assert.Equal(chunksRead == file.ChunkCount, file.Restored);
                Assert.Equal(chunksRead > 0 && chunksRead < file.ChunkCount, file.Writing);
            }

            maxWriting = Math.Max(maxWriting, plan.Files.Count(f => f.Writing));
        }

        finished.Dispose(); // closes the big files it was still holding (their pages are written back)
        Assert.Equal(plan.Files.Count, completed.Count);
        Assert.All(plan.Files, f => Assert.True(f.Restored && !f.Writing && f.Failure is null, f.SnapshotPath));
        Assert.InRange(maxWriting, 1, 2); // only the two big files span packs: no other file is ever held between packs
        Assert.All(expected, e => Assert.Equal(e.Value, TestSupport.Sha256(Path.Combine(destination, e.Key))));
        Assert.Empty(Directory.EnumerateFiles(destination, ".drorch-*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_failed_part_written_file_keeps_its_state_until_discarded_then_leaves_nothing()
    {
        using var dir = new TempDir();
        var (_, repo, snapshot, destination, plan) = await PlanAsync(dir);
        var packs = Restorer.GroupByPack(repo, plan.Files);
        using var finished = new PageCacheReleaser();
        var context = new FileWriteContext(new RestoreRequest(snapshot, destination, [], Overwrite: false), BufferPool.Engine, finished);
        var reader = new PackReader(repo, context, _ => { }, retryStore: null);

        await reader.RestorePackAsync(packs[0], CancellationToken.None);
        var big = plan.Files.Single(f => f.Name == "big-0.bin");
        Assert.True(big.Writing, "the first big file's first pack was read, its last not");
        big.Fail("test: a later chunk is damaged");
        foreach (var pack in packs.Skip(1))
        {
            await reader.RestorePackAsync(pack, CancellationToken.None);
        }

        Assert.False(big.Restored);
        Assert.True(big.Writing, "its temporary file is still to be discarded");
        Assert.Single(Directory.EnumerateFiles(destination, ".drorch-*", SearchOption.AllDirectories));
        big.Discard(keep: false, overwrite: false);
        Assert.False(big.Writing);
        Assert.Empty(Directory.EnumerateFiles(destination, ".drorch-*", SearchOption.AllDirectories));
        Assert.False(File.Exists(big.Path));
        Assert.All(plan.Files.Where(f => f != big && f.ChunkCount > 0), f => Assert.True(f.Restored, f.SnapshotPath));
    }

    /// <summary>Backs <see cref="MakeSource"/> up, plans its full restore into <c>out</c> and creates the planned directories.</summary>
    private static async Task<(Dictionary<string, string> Expected, BackupRepository Repo, Snapshot Snapshot, string Destination, RestorePlan Plan)> PlanAsync(TempDir dir)
    {
        var source = dir.Sub("src");
        var expected = MakeSource(source);
        var (_, repo) = await TestSupport.NewRepoAsync();
        var snapshot = (await TestSupport.BackupAsync(repo, source)).Snapshot;
        var destination = dir.Sub("out");
        var plan = await RestorePlan.BuildAsync(repo, snapshot, destination, new GlobMatcher([]), CancellationToken.None);
        Directory.CreateDirectory(destination);
        plan.Directories.ForEach(d => Directory.CreateDirectory(d.Path));
        return (expected, repo, snapshot, destination, plan);
    }

    /// <summary>
    /// 240 small files in three directories (one chunk each, two of them the same content), one
    /// empty file, and two files of 1 MiB (many 16–256 KiB chunks, over several 256 KiB packs).
    /// Returns relative path → SHA-256.
    /// </summary>
    private static Dictionary<string, string> MakeSource(string source)
    {
        for (var d = 0; d < 3; d++)
        {
            Directory.CreateDirectory(Path.Combine(source, $"d{d}"));
            for (var i = 0; i < 80; i++)
            {
                var seed = d == 2 && i == 79 ? 1000 : 1000 + (d * 100) + i; // d2/f079 = d0/f000
                File.WriteAllBytes(Path.Combine(source, $"d{d}", $"f{i:D3}.txt"), TestSupport.RandomBytes(1024 + (seed % 7 * 1000), seed));
            }
        }

        File.WriteAllBytes(Path.Combine(source, "empty"), []);
        for (var i = 0; i < 2; i++)
        {
            File.WriteAllBytes(Path.Combine(source, $"big-{i}.bin"), TestSupport.RandomBytes(1 << 20, 7 + i));
        }

        return Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.Combine("src", Path.GetRelativePath(source, f)), TestSupport.Sha256);
    }
}
