using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Restore;

namespace DrOrchestrator.Core.Tests.Restore;

/// <summary>Crafted (malicious or corrupt) trees must never make a restore write outside its destination.</summary>
public sealed class PathSafetyTests
{
    /// <summary>Stores the given blobs in one pack + index and a snapshot whose root tree is <paramref name="root"/>.</summary>
    private static async Task<Snapshot> CraftAsync(BackupRepository repo, List<TreeNode> root, params (BlobType Type, byte[] Plain)[] extra)
    {
        using var writer = new PackWriter(Path.GetTempPath());
        using var codec = repo.CreateCodec(System.Buffers.ArrayPool<byte>.Shared);
        var rootBytes = TreeCodec.Encode(root);
        foreach (var (type, plain) in extra.Append((BlobType.Tree, rootBytes)))
        {
            writer.Add(codec.Seal(type, BlobId.Hash(plain), plain));
        }

        using var aead = repo.Key.CreateAead();
        var record = writer.Finish(aead);
        await writer.StoreAsync(repo.Store, ObjectKeys.Pack(record.Id), CancellationToken.None);
        await repo.SaveIndexAsync([record], CancellationToken.None);
        var summary = new SnapshotSummary(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, TimeSpan.Zero, 0, 0);
        var snapshot = new Snapshot(Convert.ToHexStringLower(BlobId.Random().ToBytes()), DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            "host", ["/x"], null, new Dictionary<string, string>(), BlobId.Hash(rootBytes).ToString(), null, summary);
        await repo.SaveSnapshotAsync(snapshot, CancellationToken.None);
        return snapshot;
    }

    private static TreeNode File(string name, byte[] content, BlobId? hash = null) => new()
    {
        Name = name, Type = NodeType.File, Mode = 0x1a4, Size = content.Length, MTimeNs = 1_000_000_000,
        Content = [BlobId.Hash(content)], FileHash = hash ?? BlobId.Hash(content),
    };

    [Theory]
    [InlineData("../escape", "refusing to restore: unsafe name \"../escape\" in the snapshot root")]
    [InlineData("..", "refusing to restore: unsafe name \"..\" in the snapshot root")]
    [InlineData(".", "refusing to restore: unsafe name \".\" in the snapshot root")]
    [InlineData("", "refusing to restore: unsafe name \"\" in the snapshot root")]
    [InlineData("/etc/cron.d/evil", "refusing to restore: unsafe name \"/etc/cron.d/evil\" in the snapshot root")]
    [InlineData("a\0b", "refusing to restore: unsafe name \"a\\0b\" in the snapshot root")]
    public async Task Unsafe_names_are_refused_before_anything_is_written(string name, string message)
    {
        using var dir = new TempDir();
        var (_, repo) = await TestSupport.NewRepoAsync();
        var content = "pwned"u8.ToArray();
        var snapshot = await CraftAsync(repo, [File(name, content)], (BlobType.Data, content));

        var e = await Assert.ThrowsAsync<RestoreRefusedException>(() => TestSupport.RestoreAsync(repo, snapshot, dir.Sub("out/dest")));

        Assert.Equal(message, e.Message);
        Assert.False(Directory.Exists(dir.Sub("out")));
        Assert.False(System.IO.File.Exists(dir.Sub("out/escape")));
    }

    [Fact]
    public async Task Unsafe_name_deep_in_a_subtree_is_refused()
    {
        using var dir = new TempDir();
        var (_, repo) = await TestSupport.NewRepoAsync();
        var content = "x"u8.ToArray();
        var sub = TreeCodec.Encode([File("../../x", content)]);
        var snapshot = await CraftAsync(repo, [new TreeNode { Name = "d", Type = NodeType.Directory, Mode = 0x1ed, Subtree = BlobId.Hash(sub) }],
            (BlobType.Data, content), (BlobType.Tree, sub));

        var e = await Assert.ThrowsAsync<RestoreRefusedException>(() => TestSupport.RestoreAsync(repo, snapshot, dir.Sub("dest")));
        Assert.Equal("refusing to restore: unsafe name \"../../x\" in \"d\"", e.Message);
    }

    [Fact]
    public async Task A_symlink_and_a_directory_of_the_same_name_cannot_redirect_writes()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("outside"));
        var (_, repo) = await TestSupport.NewRepoAsync();
        var content = "evil"u8.ToArray();
        var sub = TreeCodec.Encode([File("x", content)]);
        var snapshot = await CraftAsync(repo,
        [
            new TreeNode { Name = "a", Type = NodeType.Symlink, LinkTarget = dir.Sub("outside") },
            new TreeNode { Name = "a", Type = NodeType.Directory, Mode = 0x1ed, Subtree = BlobId.Hash(sub) },
        ], (BlobType.Data, content), (BlobType.Tree, sub));

        var e = await Assert.ThrowsAsync<RestoreRefusedException>(() => TestSupport.RestoreAsync(repo, snapshot, dir.Sub("dest")));

        Assert.Equal("refusing to restore: duplicate name \"a\" in the snapshot root", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Sub("outside")));
    }

    [Fact]
    public async Task Symlinks_are_restored_as_links_and_never_followed()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("outside"));
        var (_, repo) = await TestSupport.NewRepoAsync();
        var content = "inside"u8.ToArray();
        var snapshot = await CraftAsync(repo,
        [
            new TreeNode { Name = "link", Type = NodeType.Symlink, LinkTarget = dir.Sub("outside/target.txt") },
            File("target.txt", content),
        ], (BlobType.Data, content));

        await TestSupport.RestoreAsync(repo, snapshot, dir.Sub("dest"));

        Assert.Equal(dir.Sub("outside/target.txt"), new FileInfo(dir.Sub("dest/link")).LinkTarget);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Sub("outside")));
        Assert.Equal("inside", System.IO.File.ReadAllText(dir.Sub("dest/target.txt")));
    }

    [Fact]
    public async Task Wrong_recorded_checksum_lists_the_file_and_leaves_nothing_under_its_name()
    {
        using var dir = new TempDir();
        var (_, repo) = await TestSupport.NewRepoAsync();
        var content = "actual content"u8.ToArray();
        var claimed = BlobId.Hash("something else"u8);
        var snapshot = await CraftAsync(repo, [File("f.txt", content, claimed), File("g.txt", "fine"u8.ToArray())],
            (BlobType.Data, content), (BlobType.Data, "fine"u8.ToArray()));

        var result = await TestSupport.RestoreAsync(repo, snapshot, dir.Sub("dest"));

        var failure = Assert.Single(result.Failures);
        Assert.Equal(("f.txt", $"checksum mismatch: expected SHA-256 {claimed}, got {BlobId.Hash(content)}"), (failure.Path, failure.Message));
        Assert.Equal(["g.txt"], Directory.GetFileSystemEntries(dir.Sub("dest")).Select(Path.GetFileName));
        Assert.Equal("fine", System.IO.File.ReadAllText(dir.Sub("dest/g.txt")));
    }
}
