using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Restore;

/// <summary>What to restore and where.</summary>
/// <param name="Destination">Directory to restore into; created if missing. Must be empty unless <paramref name="Overwrite"/>.</param>
/// <param name="Include">Globs over snapshot paths (first segment = source's name, e.g. "home/**/*.txt");
/// a glob without '/' matches a name at any depth. Empty = everything. Parents of selected files are restored too.</param>
/// <param name="Overwrite">Allow a non-empty destination; existing files at restored paths are replaced.</param>
public sealed record RestoreRequest(Snapshot Snapshot, string Destination, IReadOnlyList<string> Include, bool Overwrite)
{
    /// <summary>Keep the content of a file that could not be verified as <c>NAME.drorch-damaged</c> instead of removing it.</summary>
    public bool KeepDamaged { get; init; }

    /// <summary>Do not restore owners and groups (they are restored only when running as root anyway).</summary>
    public bool SkipOwners { get; init; }

    /// <summary>
    /// Restore exactly these snapshot paths of files (and their parent directories) instead of what
    /// <see cref="Include"/> selects; names are taken literally, never as globs. Null = use Include.
    /// </summary>
    public IReadOnlyCollection<string>? Paths { get; init; }

    /// <summary>
    /// Remove what the destination holds beyond the snapshot once it is restored (as <c>rsync --delete</c>);
    /// needs <paramref name="Overwrite"/> for a non-empty destination and cannot be combined with <paramref name="Include"/>.
    /// </summary>
    public bool Delete { get; init; }
}

/// <summary>
/// What was restored. <paramref name="FilesVerified"/> = files whose SHA-256 was recomputed and
/// matched (every file counted in <paramref name="Files"/> was). Files that could not be restored
/// are in <see cref="Failures"/> and nowhere under their real names.
/// </summary>
public sealed record RestoreResult(long Files, long Directories, long Symlinks, long Bytes, long FilesVerified)
{
    /// <summary>Every file that could not be restored, by snapshot path, and why; empty when all were.</summary>
    public IReadOnlyList<RestoreIssue> Failures { get; init; } = [];

    /// <summary>Metadata that could not be applied (owner, extended attribute), by destination path.</summary>
    public IReadOnlyList<RestoreIssue> Warnings { get; init; } = [];

    /// <summary>Files restored as hard links to another restored file (also counted in <see cref="Files"/>).</summary>
    public long HardLinks { get; init; }

    /// <summary>Entries removed from the destination because the snapshot does not hold them (<see cref="RestoreRequest.Delete"/>).</summary>
    public long Deleted { get; init; }
}

/// <summary>A problem with one path of a restore.</summary>
public sealed record RestoreIssue(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>Progress of a running restore.</summary>
public sealed record RestoreProgress(long FilesDone, long BytesDone, long TotalFiles, long TotalBytes, string? CurrentPath = null);
