namespace DrOrchestrator.Catalog.Entities;

/// <summary>Outcome of a restore drill: what was verified and the RTO achieved.</summary>
public sealed class DrillResultEntity
{
    public long Id { get; set; }

    public long RunId { get; set; }

    public RunEntity? Run { get; set; }

    public required string SnapshotId { get; set; }

    public long FilesVerified { get; set; }

    public long Mismatches { get; set; }

    /// <summary>Wall time from drill start until data was restored and verified.</summary>
    public double RtoAchievedSeconds { get; set; }
}
