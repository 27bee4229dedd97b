using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Backup;

/// <summary>What to back up.</summary>
/// <param name="Paths">Absolute (or current-directory-relative) files or directories. Each becomes a
/// top-level entry of the snapshot tree named by its last path segment; two sources with the same
/// last segment are rejected.</param>
/// <param name="Include">Globs relative to each source root (see <see cref="GlobMatcher"/>); empty = everything.</param>
/// <param name="Exclude">Globs relative to each source root; a matching directory is skipped entirely.</param>
/// <param name="PolicyName">Recorded in the snapshot.</param>
/// <param name="Parent">Previous snapshot for change detection: files whose size, mtime, inode and
/// device match are not read again. Null = read everything.</param>
/// <param name="Tags">Recorded in the snapshot.</param>
public sealed record FileBackupRequest(
    IReadOnlyList<string> Paths,
    IReadOnlyList<string> Include,
    IReadOnlyList<string> Exclude,
    string? PolicyName,
    Snapshot? Parent,
    IReadOnlyDictionary<string, string>? Tags);
