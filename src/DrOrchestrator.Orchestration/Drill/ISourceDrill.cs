using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Orchestration.Drill;

/// <summary>
/// The drill of one non-file source of a snapshot (a database dump): restore it into a scratch
/// database (created, then dropped), run the engine's integrity check and compare the fingerprint
/// recorded at backup time. The dump's bytes themselves are already restored and SHA-256-verified
/// with the snapshot's files; this is the check only the engine can do. Every database engine
/// gets one (<see cref="DatabaseSourceDrill"/>); other implementations may be registered as
/// <c>ISourceDrill</c>. A snapshot source whose type has none fails the drill (not verified is not passed).
/// </summary>
public interface ISourceDrill
{
    /// <summary>The <see cref="SnapshotSource.Type"/> this drills (<c>postgres</c>, <c>mariadb</c>, <c>sqlite</c>).</summary>
    string SourceType { get; }

    /// <summary>
    /// Drills <see cref="SourceDrillContext.Source"/>. Returns every mismatch found (path = the
    /// source entry, database and table); empty = passed. Must remove whatever it created (scratch
    /// database) before returning, also on failure and cancellation.
    /// </summary>
    Task<IReadOnlyList<DrillMismatch>> DrillAsync(SourceDrillContext context, CancellationToken cancellationToken);
}

/// <summary>What a source drill works on.</summary>
/// <param name="Policy">The policy drilled (its database source says which server scratch databases go to).</param>
/// <param name="Sandbox">The drill's sandbox folder, holding the snapshot's restored tree under its snapshot paths.</param>
public sealed record SourceDrillContext(Policy Policy, BackupRepository Repository, Snapshot Snapshot, SnapshotSource Source, string Sandbox);
