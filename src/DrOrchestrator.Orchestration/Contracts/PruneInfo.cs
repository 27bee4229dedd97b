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
public sealed record PruneTargetInfo(string Target, IReadOnlyList<PruneSnapshotInfo> Snapshots, PruneReport? Figures, string? Error);

public sealed record PruneSnapshotInfo(string Id, DateTimeOffset Time, bool Keep, IReadOnlyList<string> KeptBy);
