using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Restore;

/// <summary>Applies mode and mtime, and clears the way for a new entry when overwriting.</summary>
internal static class RestoreMetadata
{
    public static void Apply(string path, TreeNode node)
    {
        if (node.Type != NodeType.Symlink && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)(node.Mode & 0xFFF));
        }

        // Best effort for symlinks (not every file system supports it); exact to the nanosecond.
        UnixFileSystem.SetModificationTime(path, node.MTimeNs);
    }

    /// <summary>Removes whatever sits at <paramref name="path"/> (file, symlink — never followed — or directory tree).</summary>
    public static void RemoveExisting(string path)
    {
        var st = UnixFileSystem.LStat(path, out _);
        if (st is null)
        {
            return;
        }

        if (st.Value.FileType == UnixStat.Directory)
        {
            Directory.Delete(path, recursive: true);
        }
        else
        {
            File.Delete(path);
        }
    }
}
