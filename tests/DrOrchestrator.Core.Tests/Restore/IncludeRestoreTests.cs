using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Tests.Restore;

public sealed class IncludeRestoreTests
{
    /// <summary>30 directories of 3 subdirectories of 4 small files: 122 trees (src, 30, 90 and the root listing), 360 files.</summary>
    private static string MakeTree(TempDir dir)
    {
        var source = dir.Sub("src");
        for (var d = 0; d < 30; d++)
        {
            for (var e = 0; e < 3; e++)
            {
                var sub = Path.Combine(source, $"d{d:D2}", $"e{e}");
                Directory.CreateDirectory(sub);
                for (var f = 0; f < 4; f++)
                {
                    File.WriteAllBytes(Path.Combine(sub, $"f{f}.{(f % 2 == 0 ? "txt" : "bin")}"), TestSupport.RandomBytes(300 + (d * 12) + (e * 4) + f, (d * 100) + (e * 10) + f));
                }
            }
        }

        return source;
    }

    [Theory]
    [InlineData("src/d07/e1/f2.txt")]
    [InlineData("src/d1?/e2/*.bin")]
    [InlineData("src/**/f3.bin")]
    [InlineData("*.txt")]
    [InlineData("src/d2*")]
    public async Task Include_filtered_restore_returns_exactly_the_matching_files(string glob)
    {
        using var dir = new TempDir();
        var source = MakeTree(dir);
        var (_, repo) = await TestSupport.NewRepoAsync();
        var backup = await TestSupport.BackupAsync(repo, source);
        var matcher = new GlobMatcher([glob]);
        var expected = Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
            .Select(p => "src/" + Path.GetRelativePath(source, p))
            .Where(matcher.MatchesSelfOrAncestor)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(expected);

        var restored = await TestSupport.RestoreAsync(repo, backup.Snapshot, dir.Sub("out"), [glob]);

        var got = Directory.EnumerateFiles(dir.Sub("out"), "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(dir.Sub("out"), p))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(expected, got);
        Assert.Equal(expected.Count, restored.Files);
        foreach (var rel in expected)
        {
            Assert.Equal(TestSupport.Sha256(Path.Combine(dir.Path, rel)), TestSupport.Sha256(Path.Combine(dir.Sub("out"), rel)));
        }
    }

    [Fact]
    public async Task A_one_file_restore_reads_only_the_trees_on_its_path()
    {
        using var dir = new TempDir();
        var source = MakeTree(dir);
        var (store, repo) = await TestSupport.NewRepoAsync();
        var backup = await TestSupport.BackupAsync(repo, source);

        // The trees on the path root -> src -> d07 -> e1; every other tree is damaged in its pack.
        var onPath = new HashSet<BlobId>();
        var tree = BlobId.Parse(backup.Snapshot.TreeId);
        foreach (var name in new[] { "src", "d07", "e1", "" })
        {
            onPath.Add(tree);
            if (name.Length > 0)
            {
                tree = (await repo.LoadTreeAsync(tree, CancellationToken.None)).Single(n => n.Name == name).Subtree;
            }
        }

        var damaged = 0;
        foreach (var (id, location) in repo.Index.Blobs().Where(b => b.Value.Type == BlobType.Tree && !onPath.Contains(b.Key)))
        {
            var key = ObjectKeys.Pack(repo.Index.PackId(location.Pack));
            var bytes = store[key].ToArray();
            bytes[location.Offset + (location.Length / 2)] ^= 0x5A;
            store[key] = bytes;
            damaged++;
        }

        Assert.Equal(118, damaged); // 122 trees, 4 on the path
        await using var reopened = await BackupRepository.OpenAsync(store, TestSupport.Key, CancellationToken.None);

        var restored = await TestSupport.RestoreAsync(reopened, backup.Snapshot, dir.Sub("one"), ["src/d07/e1/f2.txt"]);

        Assert.Equal(1, restored.Files);
        Assert.Equal(["src", "src/d07", "src/d07/e1", "src/d07/e1/f2.txt"], TestSupport.Describe(dir.Sub("one")).Keys);
        Assert.Equal(TestSupport.Sha256(Path.Combine(source, "d07/e1/f2.txt")), TestSupport.Sha256(dir.Sub("one/src/d07/e1/f2.txt")));
        // The whole snapshot needs the damaged trees: the damage is real, the one-file restore just never read them.
        var all = await TestSupport.RestoreAsync(reopened, backup.Snapshot, dir.Sub("all"));
        Assert.Contains(all.Failures, f => f.Path == "src/d00");
        Assert.All(all.Failures, f => Assert.Contains("is corrupt", f.Message, StringComparison.Ordinal));
        Assert.Equal(TestSupport.Sha256(Path.Combine(source, "d07/e1/f2.txt")), TestSupport.Sha256(dir.Sub("all/src/d07/e1/f2.txt")));
    }
}
