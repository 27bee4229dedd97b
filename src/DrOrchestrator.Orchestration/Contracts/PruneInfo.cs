using DrOrchestrator.Core.Prune;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>`prune` of one policy: what happened (or, with --dry-run, would happen) on each target.</summary>
public sealed record PruneInfo(string Policy, bool DryRun, IReadOnlyList<PruneTargetInfo> Targets)
{
    public bool Succeeded => Targets.All(t => t.Error is null);
}

/// <summary>
/// One target: every snapshot of the policy there, newest first, with the rules that keep it
/// (empty = removed); the space figures unless it was a dry run or failed.
/// </summary>
public sealed record PruneTargetInfo(string Target, IReadOnlyList<PruneSnapshotInfo> Snapshots, PruneFiguresInfo? Figures, string? Error);

/// <summary>What prune did on one target's repository (the engine's <see cref="PruneReport"/>, as the front doors hand it out).</summary>
public sealed record PruneFiguresInfo(
    int SnapshotsForgotten, int PacksMarked, int PacksRepacked, long BytesRepacked, int PacksDeleted, long BytesDeleted,
    int PacksSpared, int MarksPending, long PackBytesBefore, long PackBytesAfter)
{
    public static PruneFiguresInfo From(PruneReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(r.SnapshotsForgotten, r.PacksMarked, r.PacksRepacked, r.BytesRepacked, r.PacksDeleted, r.BytesDeleted,
            r.PacksSpared, r.MarksPending, r.PackBytesBefore, r.PackBytesAfter);
    }
}

public sealed record PruneSnapshotInfo(string Id, DateTimeOffset Time, bool Keep, IReadOnlyList<string> KeptBy);
