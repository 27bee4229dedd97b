namespace DrOrchestrator.Catalog.Entities;

/// <summary>Outcome of a restore drill of one policy from one target (the run's target): what was verified and the RTO achieved.</summary>
public sealed class DrillResultEntity
{
    public long Id { get; set; }

    public long RunId { get; set; }

    public RunEntity? Run { get; set; }

    public required string SnapshotId { get; set; }

    public DrillOutcome Outcome { get; set; }

    public long FilesVerified { get; set; }

    public long BytesRestored { get; set; }

    public long Mismatches { get; set; }

    /// <summary>Wall time from drill start until data was restored and verified.</summary>
    public double RtoAchievedSeconds { get; set; }

    /// <summary>The policy's RTO target when the drill ran; null when the policy sets none.</summary>
    public double? RtoTargetSeconds { get; set; }

    public List<DrillMismatchEntity> MismatchDetails { get; set; } = [];
}

/// <summary>One file (or database table) a drill found different from the snapshot.</summary>
public sealed class DrillMismatchEntity
{
    public long Id { get; set; }

    public long DrillResultId { get; set; }

    public required string Path { get; set; }

    /// <summary>Expected SHA-256 (or fingerprint) in hex; null when the item was expected but missing.</summary>
    public string? Expected { get; set; }

    /// <summary>What the drill found; null when the item could not be restored at all.</summary>
    public string? Actual { get; set; }

    public required string Reason { get; set; }
}
