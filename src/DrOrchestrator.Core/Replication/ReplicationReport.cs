namespace DrOrchestrator.Core.Replication;

/// <summary>What one replication run did. A run with no <see cref="Errors"/> left the destination complete.</summary>
/// <param name="PacksCopied">Packs written to the destination (missing there, or present with the wrong size).</param>
/// <param name="BytesCopied">Bytes written to the destination, all objects (packs, indexes, snapshots, keys, config).</param>
/// <param name="IndexesCopied">Index objects written to the destination.</param>
/// <param name="SnapshotsCopied">Ids of the snapshots that became visible on the destination in this run.</param>
/// <param name="SnapshotsAlreadyPresent">Ids of the source's snapshots the destination already held.</param>
/// <param name="Errors">One line per failed object, naming the store and the key.</param>
public sealed record ReplicationReport(
    int PacksCopied,
    long BytesCopied,
    int IndexesCopied,
    IReadOnlyList<string> SnapshotsCopied,
    IReadOnlyList<string> SnapshotsAlreadyPresent,
    IReadOnlyList<string> Errors,
    TimeSpan Elapsed)
{
    /// <summary>
    /// Ids of the source's snapshots that are still missing on the destination after this run
    /// (held back because a pack or index failed, or their own copy failed). The next run copies them.
    /// </summary>
    public IReadOnlyList<string> SnapshotsPending { get; init; } = [];

    /// <summary>
    /// Damaged source packs that no index of the source names (leftovers of interrupted uploads,
    /// no snapshot uses them): not copied, and holding nothing back. One line each, naming the
    /// store and the key.
    /// </summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];

    /// <summary>True when the destination now holds every snapshot the source had when the run started.</summary>
    public bool IsComplete => Errors.Count == 0 && SnapshotsPending.Count == 0;
}

/// <summary>Pack copy progress; reported after each pack (copied or failed).</summary>
public sealed record ReplicationProgress(int PacksDone, int PacksTotal, long BytesDone);
