namespace DrOrchestrator.Catalog.Entities;

/// <summary>
/// The rolling drill schedule of one file of a policy on one target: when drills first saw it and
/// when a drill last restored and verified it in full. Sampled drills pick the files verified
/// longest ago, so every file is verified at least once per configured period.
/// </summary>
public sealed class DrillFileVerificationEntity
{
    public long Id { get; set; }

    public long PolicyId { get; set; }

    public PolicyEntity? Policy { get; set; }

    public long TargetId { get; set; }

    public TargetEntity? Target { get; set; }

    /// <summary>The file's '/'-separated path in the policy's snapshots.</summary>
    public required string Path { get; set; }

    public DateTimeOffset FirstSeenAt { get; set; }

    /// <summary>When a drill last restored the file and its SHA-256 matched; null: never yet.</summary>
    public DateTimeOffset? VerifiedAt { get; set; }
}
