namespace DrOrchestrator.Core.Tests.Backup;

/// <summary>Builds a source tree with every kind of item and name the engine must handle.</summary>
internal static class EdgeCaseTree
{
    public static void Create(string root)
    {
        Directory.CreateDirectory(root);
        Write(root, "normal.txt", "plain text\n"u8.ToArray(), "644");
        Write(root, "with space.txt", "spaces"u8.ToArray(), "600");
        Write(root, "ünïcödé-文件.txt", "unicode"u8.ToArray(), "644");
        Write(root, "-leading-dash", "dash"u8.ToArray(), "644");
        Write(root, "new\nline", "newline in name"u8.ToArray(), "644");
        Write(root, "empty", [], "640");
        Write(root, "run.sh", "#!/bin/sh\necho hi\n"u8.ToArray(), "755");
        Write(root, "setgid-file", "g"u8.ToArray(), "2755");
        Write(root, "big.bin", TestSupport.RandomBytes(1_500_000, 11), "644");
        Write(root, "zeros.bin", new byte[700_000], "644");
        Directory.CreateDirectory(Path.Combine(root, "sub", "deeper", "deepest"));
        Directory.CreateDirectory(Path.Combine(root, "empty-dir"));
        Write(root, "sub/inner.txt", "inner"u8.ToArray(), "644");
        Write(root, "sub/deeper/deepest/leaf.bin", TestSupport.RandomBytes(300_000, 12), "644");
        Write(root, "sub/dup-of-big.bin", File.ReadAllBytes(Path.Combine(root, "big.bin")), "644");
        File.CreateSymbolicLink(Path.Combine(root, "link-relative"), "normal.txt");
        File.CreateSymbolicLink(Path.Combine(root, "link-dangling"), "missing/target");
        File.CreateSymbolicLink(Path.Combine(root, "link-absolute"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(root, "sub", "link-to-dir"), "deeper");
        Directory.CreateDirectory(Path.Combine(root, "private"));
        Write(root, "private/secret.txt", "s"u8.ToArray(), "600");
        File.SetUnixFileMode(Path.Combine(root, "private"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // Distinct, sub-microsecond mtimes everywhere; directories last so creating children does not bump them.
        var t = 1_600_000_000_123_456_789L;
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).OrderByDescending(p => p.Length))
        {
            t += 1_000_000_007L;
            UnixFileSystemTestAccess.SetMTime(path, t);
        }
    }

    private static void Write(string root, string relative, byte[] content, string octalMode)
    {
        var path = Path.Combine(root, relative);
        File.WriteAllBytes(path, content);
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(octalMode, 8));
    }
}

internal static class UnixFileSystemTestAccess
{
    public static void SetMTime(string path, long ns) =>
        Assert.True(DrOrchestrator.Core.Backup.UnixFileSystem.SetModificationTime(path, ns), $"utimensat failed for {path}");
}
