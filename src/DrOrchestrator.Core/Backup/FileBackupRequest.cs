using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Backup;

/// <summary>What to back up: one or more file trees, each with its own globs, into one snapshot.</summary>
/// <param name="Trees">The trees (a policy's <c>files</c> sources). Every path of every tree becomes a
/// top-level entry of the snapshot tree named by its last path segment; two paths with the same
/// last segment are rejected.</param>
/// <param name="PolicyName">Recorded in the snapshot.</param>
/// <param name="Parent">Previous snapshot for change detection: files whose size, mtime, inode and
/// device match are not read again. Null = read everything.</param>
/// <param name="Tags">Recorded in the snapshot.</param>
public sealed record FileBackupRequest(
    IReadOnlyList<FileTree> Trees,
    string? PolicyName,
    Snapshot? Parent,
    IReadOnlyDictionary<string, string>? Tags)
{
    /// <summary>One tree: <paramref name="paths"/> with one include and one exclude list.</summary>
    public FileBackupRequest(
        IReadOnlyList<string> paths, IReadOnlyList<string> include, IReadOnlyList<string> exclude,
        string? policyName, Snapshot? parent, IReadOnlyDictionary<string, string>? tags)
        : this([new FileTree(paths, include, exclude)], policyName, parent, tags)
    {
    }
}

/// <summary>Files and directories backed up with one set of globs (a policy's <c>files</c> source).</summary>
/// <param name="Paths">Absolute (or current-directory-relative) files or directories.</param>
/// <param name="Include">Globs relative to each path (see <see cref="GlobMatcher"/>); empty = everything.</param>
/// <param name="Exclude">Globs relative to each path; a matching directory is skipped entirely.</param>
public sealed record FileTree(IReadOnlyList<string> Paths, IReadOnlyList<string> Include, IReadOnlyList<string> Exclude);
