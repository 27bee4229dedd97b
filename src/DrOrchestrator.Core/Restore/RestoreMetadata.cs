using System.Runtime.InteropServices;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;
using Microsoft.Win32.SafeHandles;

namespace DrOrchestrator.Core.Restore;

/// <summary>
/// Applies owner (as root), mode, extended attributes (incl. ACLs) and mtime — in that order:
/// a change of owner clears setuid/setgid and file capabilities, and every other change bumps
/// nothing but ctime once mtime is set last. Metadata that cannot be applied is a warning of the
/// restore, not a failure: the content is verified and in place.
/// </summary>
internal static class RestoreMetadata
{
    /// <summary>For a file being restored, through its open handle (no path lookups).</summary>
    public static void Apply(SafeFileHandle handle, string path, in NodeMetadata node, FileWriteContext context)
    {
        if (context.RestoreOwners)
        {
            Warn(context, path, $"owner {node.Uid}:{node.Gid}", UnixFileSystem.SetOwner(handle, node.Uid, node.Gid));
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(handle, (UnixFileMode)(node.Mode & 0xFFF));
        }

        foreach (var attribute in node.Xattrs)
        {
            Warn(context, path, $"extended attribute {attribute.Name}", ExtendedAttributes.Write(handle, attribute));
        }

        UnixFileSystem.SetModificationTime(handle, node.MTimeNs);
    }

    /// <summary>For a directory or symlink, by path without following a final symlink.</summary>
    public static void Apply(string path, TreeNode node, FileWriteContext context)
    {
        if (context.RestoreOwners)
        {
            Warn(context, path, $"owner {node.Uid}:{node.Gid}", UnixFileSystem.SetOwner(path, node.Uid, node.Gid));
        }

        if (node.Type != NodeType.Symlink && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)(node.Mode & 0xFFF));
        }

        foreach (var attribute in node.Xattrs)
        {
            Warn(context, path, $"extended attribute {attribute.Name}", ExtendedAttributes.Write(path, attribute));
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

    /// <summary>Removes a directory tree at <paramref name="path"/> (a rename cannot replace one); anything else is left.</summary>
    public static void RemoveDirectory(string path)
    {
        if (UnixFileSystem.LStat(path, out _) is { FileType: UnixStat.Directory })
        {
            Directory.Delete(path, recursive: true);
        }
    }

    private static void Warn(FileWriteContext context, string path, string what, int errno)
    {
        if (errno != 0)
        {
            context.Warnings.Enqueue(new RestoreIssue(path, $"cannot restore {what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})"));
        }
    }
}

/// <summary>
/// What a restore applies to a file besides its content, copied out of its tree node so that a
/// planned file does not keep the node (and what only a backup uses: inode, ctime, subtree) alive.
/// </summary>
internal readonly record struct NodeMetadata(uint Mode, uint Uid, uint Gid, long MTimeNs, IReadOnlyList<ExtendedAttribute> Xattrs)
{
    public static NodeMetadata Of(TreeNode node) => new(node.Mode, node.Uid, node.Gid, node.MTimeNs, node.Xattrs);
}
