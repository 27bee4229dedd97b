namespace DrOrchestrator.Core.Prune;

/// <summary>How prune reclaims space (docs/decisions.md §32).</summary>
public sealed record PruneOptions
{
    /// <summary>
    /// How long a pack must exist before prune may mark it, and how long a mark waits before its
    /// packs are deleted. Must exceed the longest backup, copy or drill that can run concurrently:
    /// such a run may use a blob it found in the index when it started.
    /// </summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// The share (0–1) of the repository's pack bytes that may stay unused after a prune, as
    /// restic's <c>--max-unused</c>: partly used packs are repacked, emptiest first, until the
    /// packs that stay hold at most this share unused (docs/decisions.md §62). 0 repacks every
    /// pack with an unused byte; 1 repacks none (wholly unused packs are always removed).
    /// </summary>
    public double MaxUnused { get; init; } = 0.10;

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Called at each step named in <see cref="PruneCheckpoints"/> (a test kills the process there).</summary>
    public Action<string>? Checkpoint { get; init; }

    /// <exception cref="ArgumentOutOfRangeException">A value out of range, naming it.</exception>
    public void Validate()
    {
        if (GracePeriod < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(GracePeriod), GracePeriod, "GracePeriod must not be negative");
        }

        if (double.IsNaN(MaxUnused) || MaxUnused is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxUnused), MaxUnused, "MaxUnused must be between 0 and 1 (0% and 100%)");
        }
    }
}

/// <summary>The steps of a prune at which <see cref="PruneOptions.Checkpoint"/> is called, in order.</summary>
public static class PruneCheckpoints
{
    public const string AfterFirstSnapshotForgotten = "prune-after-first-snapshot-forgotten";
    public const string AfterRepackFlush = "prune-after-repack-flush";
    public const string AfterMarkWritten = "prune-after-mark-written";
    public const string AfterIndexRewritten = "prune-after-index-rewritten";
    public const string AfterFirstSupersededIndexDeleted = "prune-after-first-superseded-index-deleted";
    public const string AfterMarkRedated = "prune-after-mark-redated";
    public const string AfterSweepReindex = "prune-after-sweep-reindex";
    public const string AfterFirstPackDeleted = "prune-after-first-pack-deleted";
    public const string BeforeMarkDeleted = "prune-before-mark-deleted";

    public static IReadOnlyList<string> All { get; } =
    [
        AfterFirstSnapshotForgotten, AfterRepackFlush, AfterMarkWritten, AfterIndexRewritten, AfterFirstSupersededIndexDeleted,
        AfterMarkRedated, AfterSweepReindex, AfterFirstPackDeleted, BeforeMarkDeleted,
    ];
}

/// <summary>What one prune did on one repository.</summary>
/// <param name="SnapshotsForgotten">Snapshot objects deleted.</param>
/// <param name="PacksMarked">Packs newly marked for deletion (unused, or repacked).</param>
/// <param name="PacksRepacked">Partly used packs whose used blobs were copied into new packs.</param>
/// <param name="BytesRepacked">Bytes of used blobs copied.</param>
/// <param name="PacksDeleted">Packs deleted by the sweep of marks whose grace period had passed.</param>
/// <param name="BytesDeleted">Their size.</param>
/// <param name="PacksSpared">Marked packs the sweep kept because a snapshot written since needs them.</param>
/// <param name="MarksPending">Marks still waiting for their grace period.</param>
/// <param name="PackBytesBefore">Bytes of packs in the store when prune started.</param>
/// <param name="PackBytesAfter">Bytes of packs in the store when it ended.</param>
public sealed record PruneReport(
    int SnapshotsForgotten, int PacksMarked, int PacksRepacked, long BytesRepacked, int PacksDeleted, long BytesDeleted,
    int PacksSpared, int MarksPending, long PackBytesBefore, long PackBytesAfter);
