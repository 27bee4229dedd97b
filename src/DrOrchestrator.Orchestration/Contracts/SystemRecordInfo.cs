namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>The orchestrator's own backup, one line per target (docs/decisions.md §58).</summary>
public sealed record SystemBackupInfo(IReadOnlyList<SystemBackupTargetInfo> Targets);

/// <summary>
/// One target: the record snapshot written (with its size and what was new), or why nothing was
/// written (<see cref="Skipped"/>: no repository yet, not due) or the failure (<see cref="Error"/>).
/// </summary>
public sealed record SystemBackupTargetInfo(string Target, string? SnapshotId, long Bytes, long BytesNew, string? Skipped, string? Error);

/// <summary>
/// `catalog rebuild --from TARGET`: the record used, what it restored, and what the repository
/// showed about the time after it.
/// </summary>
public sealed record CatalogRebuildInfo(
    string Target,
    string? RecordSnapshotId,
    DateTimeOffset? RecordedAt,
    string? RecordedOnHost,
    int Policies,
    int Snapshots,
    int Runs,
    int Drills,
    int PolicyChanges,
    IReadOnlyList<CatalogRebuildSnapshotInfo> AddedFromRepository,
    IReadOnlyList<CatalogRebuildSnapshotInfo> PresentSinceRecord,
    IReadOnlyList<CatalogRebuildSnapshotInfo> GoneSinceRecord,
    IReadOnlyList<string> Notes)
{
    /// <summary>The file `--write-config` wrote (full path), or null.</summary>
    public string? ConfigurationWrittenTo { get; init; }

    /// <summary>How many settings that file holds (secret references included, secret values never recorded).</summary>
    public int ConfigurationSettings { get; init; }
}

/// <summary>A snapshot the rebuild found different from the record: added, newly present on the target, or gone from it.</summary>
public sealed record CatalogRebuildSnapshotInfo(string Policy, string Id, DateTimeOffset Time);
