using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Orchestration.Drill;

/// <summary>
/// The drill of one non-file source of a snapshot (a database dump): restore it into a scratch
/// database inside the drill's sandbox (created, then dropped), run the engine's integrity check
/// and compare the fingerprint recorded at backup time. The dump's bytes themselves are already
/// restored and SHA-256-verified with the snapshot's files; this is the check only the engine can
/// do. One implementation per source type, registered as <c>ISourceDrill</c>; a snapshot source
/// whose type has none fails the drill (not verified is not passed).
/// </summary>
public interface ISourceDrill
{
    /// <summary>The <see cref="SnapshotSource.Type"/> this drills (<c>postgres</c>, <c>mariadb</c>, <c>sqlite</c>).</summary>
    string SourceType { get; }

    /// <summary>
    /// Drills <paramref name="source"/> of <paramref name="snapshot"/>; <paramref name="restoredFiles"/>
    /// is the sandbox folder holding the snapshot's restored tree (its entries are under their
    /// snapshot paths). Returns every mismatch found (path = the source entry or table); empty = passed.
    /// Must remove whatever it created (scratch database) before returning, also on failure.
    /// </summary>
    Task<IReadOnlyList<DrillMismatch>> DrillAsync(
        BackupRepository repository, Snapshot snapshot, SnapshotSource source, string restoredFiles, CancellationToken cancellationToken);
}
