using DrOrchestrator.Orchestration.Replication;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>The copy of a policy's repository to one target (after a backup, or by `copy`).</summary>
public sealed record CopyInfo(string Target, bool Succeeded, int PacksCopied, long BytesCopied, IReadOnlyList<string> SnapshotsCopied, string? Error)
{
    /// <summary>Damaged source packs no index names (leftovers of interrupted uploads), not copied and holding nothing back (additive field).</summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];

    public static CopyInfo From(TargetCopyOutcome c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new(c.Target, c.Succeeded, c.Report?.PacksCopied ?? 0, c.Report?.BytesCopied ?? 0, c.Report?.SnapshotsCopied ?? [], c.Error)
        {
            Skipped = c.Report?.Skipped ?? [],
        };
    }
}
