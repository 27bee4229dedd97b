using System.Collections.Concurrent;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;
using Xunit.Abstractions;

namespace DrOrchestrator.Core.Tests.Backup;

/// <summary>
/// Extended attributes are read only for entries a backup keeps, and not again for an entry whose
/// inode status (ctime) did not change since the parent snapshot; a change of an attribute alone
/// (same size, mtime and inode) is still picked up.
/// </summary>
public sealed class ExtendedAttributeScanTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_xattr_changed_on_an_otherwise_unchanged_file_is_picked_up_and_unchanged_entries_are_not_read_again()
    {
        using var dir = new TempDir();
        var source = dir.Sub("src");
        Directory.CreateDirectory(Path.Combine(source, "sub"));
        var file = Path.Combine(source, "sub", "f.txt");
        File.WriteAllBytes(file, TestSupport.RandomBytes(50_000, seed: 7));
        File.WriteAllText(Path.Combine(source, "other.txt"), "never touched");
        if (!TrySetXattr(file, "user.tag", "one"))
        {
            return;
        }

        var (_, repo) = await TestSupport.NewRepoAsync();
        var reads = new ConcurrentQueue<string>();
        var archiver = CountingArchiver(reads);
        var first = await archiver.BackupAsync(repo, TestSupport.Request(source), null, CancellationToken.None);
        Assert.Empty(first.Errors);
        Assert.Contains(file, reads);

        // The attribute changes; size, inode and (restored, as `touch -r` would) mtime stay: only ctime moves.
        var before = UnixFileSystem.LStat(file, out _)!.Value;
        Thread.Sleep(20);
        Assert.Equal(0, ExtendedAttributes.Write(file, new ExtendedAttribute("user.tag", "two"u8.ToArray())));
        Assert.True(UnixFileSystem.SetModificationTime(file, before.MTimeNs));
        var after = UnixFileSystem.LStat(file, out _)!.Value;
        Assert.Equal((before.Size, before.MTimeNs, before.Inode), (after.Size, after.MTimeNs, after.Inode));
        Assert.NotEqual(before.CTimeNs, after.CTimeNs);

        reads.Clear();
        var second = await archiver.BackupAsync(repo, TestSupport.Request(source, first.Snapshot), null, CancellationToken.None);
        Assert.Empty(second.Errors);
        // The content is taken from the parent (not read again); the attributes are read again, and
        // the file counts as changed (its metadata did), the other as unmodified.
        Assert.Equal((1L, 1L), (second.Snapshot.Summary.FilesUnmodified, second.Snapshot.Summary.FilesChanged));
        Assert.Equal(0, second.Snapshot.Summary.BytesRead);
        Assert.Equal([file], reads);

        await TestSupport.RestoreAsync(repo, second.Snapshot, dir.Sub("out2"));
        Assert.Equal("two", ReadXattr(dir.Sub("out2/src/sub/f.txt"), "user.tag"));

        // Nothing changed since: no entry's attributes are read, and the snapshot still holds them.
        reads.Clear();
        var third = await archiver.BackupAsync(repo, TestSupport.Request(source, second.Snapshot), null, CancellationToken.None);
        Assert.Empty(reads);
        Assert.Equal(second.Snapshot.TreeId, third.Snapshot.TreeId);
        await TestSupport.RestoreAsync(repo, third.Snapshot, dir.Sub("out3"));
        Assert.Equal("two", ReadXattr(dir.Sub("out3/src/sub/f.txt"), "user.tag"));
        Assert.Equal(TestSupport.Sha256(file), TestSupport.Sha256(dir.Sub("out3/src/sub/f.txt")));
    }

    [Fact]
    public async Task Xattrs_of_excluded_and_not_included_entries_are_not_read()
    {
        using var dir = new TempDir();
        var source = dir.Sub("src");
        Directory.CreateDirectory(Path.Combine(source, "cache", "deep"));
        Directory.CreateDirectory(Path.Combine(source, "docs"));
        foreach (var name in new[] { "keep.txt", "skip.log", "cache/c.txt", "cache/deep/d.txt", "docs/keep-too.txt", "docs/other.md" })
        {
            File.WriteAllText(Path.Combine(source, name), name);
        }

        var (_, repo) = await TestSupport.NewRepoAsync();
        var reads = new ConcurrentQueue<string>();
        var request = new FileBackupRequest([source], ["**/*.txt"], ["*.log", "cache"], "p", null, null);
        var backup = await CountingArchiver(reads).BackupAsync(repo, request, null, CancellationToken.None);

        Assert.Empty(backup.Errors);
        Assert.Equal(2, backup.Snapshot.Summary.TotalFiles);
        Assert.Equal(
            new[] { "", "docs", "docs/keep-too.txt", "keep.txt" },
            reads.Select(p => p == source ? "" : Path.GetRelativePath(source, p)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Ctime_round_trips_in_a_tree_and_only_an_unchanged_ctime_of_the_same_inode_is_the_same_status()
    {
        var node = new TreeNode { Name = "f", Type = NodeType.File, Inode = 5, Device = 6, CTimeNs = 1_700_000_000_123_456_789 };
        var decoded = TreeCodec.Decode(TreeCodec.Encode([node]))[0];
        Assert.Equal(1_700_000_000_123_456_789, decoded.CTimeNs);
        Assert.True(node.SameInodeStatus(decoded));

        var moved = new TreeNode { Name = "f", Type = NodeType.File, Inode = 5, Device = 6, CTimeNs = decoded.CTimeNs + 1 };
        Assert.False(moved.SameInodeStatus(decoded));
        var otherInode = new TreeNode { Name = "f", Type = NodeType.File, Inode = 4, Device = 6, CTimeNs = decoded.CTimeNs };
        Assert.False(otherInode.SameInodeStatus(decoded));

        // A node of an older tree (no ctime) is never the same status, whatever the new one says.
        var old = new TreeNode { Name = "f", Type = NodeType.File, Inode = 5, Device = 6 };
        Assert.Equal(1, TreeCodec.Encode([old])[0]);
        Assert.False(new TreeNode { Name = "f", Type = NodeType.File, Inode = 5, Device = 6, CTimeNs = 0 }.SameInodeStatus(old));
    }

    private static Archiver CountingArchiver(ConcurrentQueue<string> reads) => new()
    {
        ReadExtendedAttributes = (string path, out int errno) =>
        {
            reads.Enqueue(path);
            return ExtendedAttributes.Read(path, out errno);
        },
    };

    private bool TrySetXattr(string path, string name, string value)
    {
        var errno = ExtendedAttributes.Write(path, new ExtendedAttribute(name, System.Text.Encoding.UTF8.GetBytes(value)));
        if (ExtendedAttributes.IsUnsupported(errno))
        {
            output.WriteLine($"skipped: {Path.GetTempPath()} does not support extended attributes");
            return false;
        }

        Assert.Equal(0, errno);
        return true;
    }

    private static string? ReadXattr(string path, string name)
    {
        var found = ExtendedAttributes.Read(path, out var errno).FirstOrDefault(x => x.Name == name);
        Assert.Equal(0, errno);
        return found is null ? null : System.Text.Encoding.UTF8.GetString(found.Value);
    }
}
