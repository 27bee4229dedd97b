using DrOrchestrator.Core.Storage.Composite;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>What `pool rebalance` moved; <see cref="Errors"/> lists what it could not.</summary>
public sealed record PoolRebalanceInfo(
    string Pool, int PacksExamined, int PacksMoved, int CopiesMade, int CopiesDeleted, long BytesCopied, int MetadataCopied,
    IReadOnlyList<string> Errors, bool Succeeded)
{
    public static PoolRebalanceInfo From(string pool, RebalanceReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(pool, r.PacksExamined, r.PacksMoved, r.CopiesMade, r.CopiesDeleted, r.BytesCopied, r.MetadataCopied, r.Errors, r.Succeeded);
    }
}
