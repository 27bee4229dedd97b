using System.Diagnostics;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;
using Xunit.Abstractions;

namespace DrOrchestrator.Core.Tests.Backup;

/// <summary>Hard links, holes, extended attributes, ACLs and owners survive a backup and restore.</summary>
public sealed class FileSystemFidelityTests(ITestOutputHelper output)
{
    private const long SparseSize = 64L << 20;

    [Fact]
    public async Task Hard_links_a_sparse_file_xattrs_an_acl_and_owners_round_trip()
    {
        using var dir = new TempDir();
        var source = dir.Sub("src");
        Directory.CreateDirectory(Path.Combine(source, "sub"));
        File.WriteAllBytes(Path.Combine(source, "a.txt"), TestSupport.RandomBytes(300_000, seed: 1));
        UnixFileSystem.HardLink(Path.Combine(source, "a.txt"), Path.Combine(source, "sub", "b.txt"));
        UnixFileSystem.HardLink(Path.Combine(source, "a.txt"), Path.Combine(source, "c.txt"));
        File.WriteAllText(Path.Combine(source, "single.txt"), "one name only");
        using (var sparse = File.OpenHandle(Path.Combine(source, "sparse.bin"), FileMode.CreateNew, FileAccess.Write))
        {
            RandomAccess.SetLength(sparse, SparseSize);
            RandomAccess.Write(sparse, TestSupport.RandomBytes(4096, seed: 2), 1L << 20);
            RandomAccess.Write(sparse, TestSupport.RandomBytes(4096, seed: 3), SparseSize - 4096);
        }

        var sourceSparse = UnixFileSystem.LStat(Path.Combine(source, "sparse.bin"), out _)!.Value;
        Assert.True(sourceSparse.IsSparse, $"the temp file system did not keep holes ({sourceSparse.Blocks} blocks)");

        var xattrs = TrySetXattrs(source);
        var acl = xattrs && TrySetAcl(source);
        var owners = UnixFileSystem.IsRoot;
        if (owners)
        {
            Assert.Equal(0, UnixFileSystem.SetOwner(Path.Combine(source, "single.txt"), 1234, 5678));
        }
        else
        {
            output.WriteLine("owner assertions skipped: not running as root, owners cannot be restored");
        }

        var (_, repo) = await TestSupport.NewRepoAsync();
        var backup = await TestSupport.BackupAsync(repo, source);
        Assert.Empty(backup.Errors);
        Assert.Equal(5, backup.Snapshot.Summary.TotalFiles);

        var restored = dir.Sub("out");
        var result = await TestSupport.RestoreAsync(repo, backup.Snapshot, restored);
        Assert.Empty(result.Failures);
        Assert.Empty(result.Warnings);
        Assert.Equal(5, result.Files);
        Assert.Equal(2, result.HardLinks);
        var copy = Path.Combine(restored, "src");

        // Content, mode, mtime of every entry (directories too: links are made before their mtime is set).
        Assert.Equal(TestSupport.Describe(source), TestSupport.Describe(copy));

        // Link groups: the three names of a.txt are one inode again, single.txt is on its own.
        var a = UnixFileSystem.LStat(Path.Combine(copy, "a.txt"), out _)!.Value;
        Assert.Equal(3u, a.Links);
        Assert.Equal(a.Inode, UnixFileSystem.LStat(Path.Combine(copy, "sub", "b.txt"), out _)!.Value.Inode);
        Assert.Equal(a.Inode, UnixFileSystem.LStat(Path.Combine(copy, "c.txt"), out _)!.Value.Inode);
        Assert.Equal(1u, UnixFileSystem.LStat(Path.Combine(copy, "single.txt"), out _)!.Value.Links);

        // Holes: the restored sparse file allocates no more than the original (plus a block of slack per data run).
        var copySparse = UnixFileSystem.LStat(Path.Combine(copy, "sparse.bin"), out _)!.Value;
        Assert.Equal(SparseSize, copySparse.Size);
        Assert.True(copySparse.Blocks * 512 <= (sourceSparse.Blocks * 512) + (2 * 4096), $"restored sparse file allocates {copySparse.Blocks * 512} bytes, the original {sourceSparse.Blocks * 512}");

        if (xattrs)
        {
            foreach (var path in new[] { "a.txt", "sub", "single.txt" })
            {
                var expected = ExtendedAttributes.Read(Path.Combine(source, path), out _).Select(x => $"{x.Name}={Convert.ToHexString(x.Value)}");
                var actual = ExtendedAttributes.Read(Path.Combine(copy, path), out _).Select(x => $"{x.Name}={Convert.ToHexString(x.Value)}");
                Assert.Equal(expected, actual);
            }

            Assert.Contains(ExtendedAttributes.Read(Path.Combine(copy, "a.txt"), out _), x => x.Name == "user.comment" && x.Value.SequenceEqual("restored as it was"u8.ToArray()));
        }

        if (acl)
        {
            Assert.Equal(GetFacl(Path.Combine(source, "single.txt")), GetFacl(Path.Combine(copy, "single.txt")));
            Assert.Equal(GetFacl(Path.Combine(source, "sub")), GetFacl(Path.Combine(copy, "sub")));
            Assert.Contains("user:1234:r--", GetFacl(Path.Combine(copy, "single.txt")), StringComparison.Ordinal);
            Assert.Contains("default:user:1234:rwx", GetFacl(Path.Combine(copy, "sub")), StringComparison.Ordinal);
        }

        if (owners)
        {
            var single = UnixFileSystem.LStat(Path.Combine(copy, "single.txt"), out _)!.Value;
            Assert.Equal((1234u, 5678u), (single.Uid, single.Gid));
        }
    }

    [Fact]
    public async Task No_owner_keeps_the_restoring_user_as_owner()
    {
        using var dir = new TempDir();
        var source = dir.Sub("src");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "f.txt"), "x");
        if (!UnixFileSystem.IsRoot)
        {
            output.WriteLine("not running as root: owners are never restored, nothing to tell apart");
            return;
        }

        Assert.Equal(0, UnixFileSystem.SetOwner(Path.Combine(source, "f.txt"), 4321, 8765));
        var (_, repo) = await TestSupport.NewRepoAsync();
        var backup = await TestSupport.BackupAsync(repo, source);

        await new Core.Restore.Restorer().RestoreAsync(repo, new Core.Restore.RestoreRequest(backup.Snapshot, dir.Sub("out"), [], false) { SkipOwners = true }, null, CancellationToken.None);

        var st = UnixFileSystem.LStat(dir.Sub("out/src/f.txt"), out _)!.Value;
        Assert.Equal((0u, 0u), (st.Uid, st.Gid));
    }

    [Fact]
    public async Task Security_and_trusted_xattrs_round_trip_when_running_as_root()
    {
        using var dir = new TempDir();
        var source = dir.Sub("src");
        Directory.CreateDirectory(Path.Combine(source, "sub"));
        var file = Path.Combine(source, "f.bin");
        File.WriteAllBytes(file, TestSupport.RandomBytes(10_000, seed: 9));
        if (!UnixFileSystem.IsRoot)
        {
            output.WriteLine("security.*/trusted.* assertions skipped: not running as root (only CAP_SYS_ADMIN may set them)");
            return;
        }

        var attributes = new (string Path, ExtendedAttribute Attribute)[]
        {
            (file, new ExtendedAttribute("trusted.drorch.origin", "backup test"u8.ToArray())),
            (file, new ExtendedAttribute("security.drorch.label", [0, 1, 2, 254, 255])),
            (Path.Combine(source, "sub"), new ExtendedAttribute("trusted.drorch.dir", "on a directory"u8.ToArray())),
        };
        foreach (var (path, attribute) in attributes)
        {
            var errno = ExtendedAttributes.Write(path, attribute);
            if (ExtendedAttributes.IsUnsupported(errno))
            {
                output.WriteLine($"security.*/trusted.* assertions skipped: {Path.GetTempPath()} does not support {attribute.Name} (errno {errno})");
                return;
            }

            Assert.True(errno == 0, $"setting {attribute.Name} on {path} as root: errno {errno}");
        }

        var (_, repo) = await TestSupport.NewRepoAsync();
        var backup = await TestSupport.BackupAsync(repo, source);
        Assert.Empty(backup.Errors);
        Assert.Empty(backup.Warnings);
        var result = await TestSupport.RestoreAsync(repo, backup.Snapshot, dir.Sub("out"));
        Assert.Empty(result.Failures);
        Assert.Empty(result.Warnings);

        foreach (var (path, attribute) in attributes)
        {
            var copy = dir.Sub("out/src/" + Path.GetRelativePath(source, path));
            var restored = ExtendedAttributes.Read(copy, out var errno);
            Assert.Equal(0, errno);
            var found = Assert.Single(restored, x => x.Name == attribute.Name);
            Assert.Equal(attribute.Value, found.Value);
        }

        Assert.Equal(TestSupport.Sha256(file), TestSupport.Sha256(dir.Sub("out/src/f.bin")));
    }

    [Fact]
    public void Trees_without_extras_encode_as_version_1_and_trees_with_them_round_trip_as_version_2()
    {
        var plain = new TreeNode { Name = "f", Type = NodeType.File, Mode = 0x1a4, FileHash = BlobId.Hash([]) };
        Assert.Equal(1, TreeCodec.Encode([plain])[0]);

        var linked = new TreeNode
        {
            Name = "g", Type = NodeType.File, Mode = 0x1a4, FileHash = BlobId.Hash([]), Links = 3, Sparse = true, Inode = 7, Device = 9,
            Xattrs = [new ExtendedAttribute("system.posix_acl_access", [2, 0, 0, 0]), new ExtendedAttribute("user.a", "b"u8.ToArray())],
        };
        var encoded = TreeCodec.Encode([plain, linked]);
        Assert.Equal(2, encoded[0]);
        var decoded = TreeCodec.Decode(encoded);
        Assert.False(decoded[0].HasExtras);
        Assert.Equal((3u, true, 7ul, 9ul), (decoded[1].Links, decoded[1].Sparse, decoded[1].Inode, decoded[1].Device));
        Assert.Equal(["system.posix_acl_access=02000000", "user.a=62"], decoded[1].Xattrs.Select(x => $"{x.Name}={Convert.ToHexString(x.Value)}"));
    }

    /// <summary>Sets user xattrs; false (and says so) when the temp file system has none.</summary>
    private bool TrySetXattrs(string source)
    {
        var probe = ExtendedAttributes.Write(Path.Combine(source, "a.txt"), new ExtendedAttribute("user.comment", "restored as it was"u8.ToArray()));
        if (ExtendedAttributes.IsUnsupported(probe))
        {
            output.WriteLine($"xattr and ACL assertions skipped: {Path.GetTempPath()} does not support extended attributes");
            return false;
        }

        Assert.Equal(0, probe);
        Assert.Equal(0, ExtendedAttributes.Write(Path.Combine(source, "sub"), new ExtendedAttribute("user.binary", [0, 1, 2, 255])));
        return true;
    }

    /// <summary>An access ACL on a file and a default ACL on a directory with setfacl (package acl, installed by build.sh deps).</summary>
    private bool TrySetAcl(string source)
    {
        var (code, text) = Run("setfacl", "-m", "u:1234:r--", Path.Combine(source, "single.txt"));
        if (code != 0 && text.Contains("Operation not supported", StringComparison.Ordinal))
        {
            output.WriteLine($"ACL assertions skipped: {Path.GetTempPath()} does not support POSIX ACLs ({text.Trim()})");
            return false;
        }

        Assert.True(code == 0, text);
        (code, text) = Run("setfacl", "-d", "-m", "u:1234:rwx", Path.Combine(source, "sub"));
        Assert.True(code == 0, text);
        return true;
    }

    private static string GetFacl(string path)
    {
        var (code, text) = Run("getfacl", "--omit-header", "--absolute-names", path);
        Assert.True(code == 0, text);
        return text;
    }

    private static (int Code, string Output) Run(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        args.ToList().ForEach(info.ArgumentList.Add);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {tool}");
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr);
    }
}
