using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Restore;

/// <summary>What to restore and where.</summary>
/// <param name="Destination">Directory to restore into; created if missing. Must be empty unless <paramref name="Overwrite"/>.</param>
/// <param name="Include">Globs over snapshot paths (first segment = source's name, e.g. "home/**/*.txt");
/// a glob without '/' matches a name at any depth. Empty = everything. Parents of selected files are restored too.</param>
/// <param name="Overwrite">Allow a non-empty destination; existing files at restored paths are replaced.</param>
public sealed record RestoreRequest(Snapshot Snapshot, string Destination, IReadOnlyList<string> Include, bool Overwrite);

/// <summary>What was restored. <paramref name="FilesVerified"/> = files whose SHA-256 was recomputed and matched.</summary>
public sealed record RestoreResult(long Files, long Directories, long Symlinks, long Bytes, long FilesVerified);

/// <summary>Progress of a running restore.</summary>
public sealed record RestoreProgress(long FilesDone, long BytesDone, long TotalFiles, long TotalBytes);
