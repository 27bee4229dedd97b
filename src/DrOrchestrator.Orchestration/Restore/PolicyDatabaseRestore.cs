using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Sources;

namespace DrOrchestrator.Orchestration.Restore;

/// <summary>A database restore as the admin asked for it (<c>drorch restore POLICY --to-db REF</c>).</summary>
/// <param name="ToDb">The engine's connection reference (PostgreSQL: <c>host=… port=… user=… database=…</c>); never a password.</param>
/// <param name="Source">The database source's name in the snapshot; null = its only one.</param>
/// <param name="Database">Which database of that source; null = its only one.</param>
/// <param name="PasswordEnvironmentVariable">Where the destination's password is; null = the client's own mechanisms (e.g. a pgpass file).</param>
public sealed record PolicyDatabaseRestoreRequest(
    string Policy,
    string? SnapshotId,
    DateTimeOffset? At,
    string? FromTarget,
    string ToDb,
    string? Source,
    string? Database,
    bool Overwrite,
    string? PasswordEnvironmentVariable);

/// <summary>A database restored and verified against its fingerprint.</summary>
public sealed record PolicyDatabaseRestoreOutcome(Snapshot Snapshot, string Target, string Source, DatabaseRestoreResult Result, TimeSpan Elapsed);
