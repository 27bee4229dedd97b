namespace DrOrchestrator.Core.Replication;

/// <summary>How one replication run behaves. Validated at the start of the run.</summary>
public sealed record ReplicationOptions
{
    public const int DefaultMaxConcurrency = 4;

    /// <summary>Objects copied at the same time (each holds at most one pack in a temp file). Default 4, range 1..64.</summary>
    public int MaxConcurrency { get; init; } = DefaultMaxConcurrency;

    /// <summary>
    /// The repository's key, when the caller has it. It is used only when a source pack fails its
    /// SHA-256: the source's indexes are then read, and a damaged pack that no index names (the
    /// leftover of an interrupted upload: a pack is indexed only once it is durable) is skipped
    /// with a warning instead of holding back every snapshot. Without the key every damaged pack
    /// holds the snapshots back, as it must when it might be referenced (docs/decisions.md §55).
    /// </summary>
    public Security.RepositoryKey? SourceKey { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field and its value.</summary>
    public void Validate()
    {
        if (MaxConcurrency is < 1 or > 64)
        {
            throw new ArgumentException($"replication option {nameof(MaxConcurrency)}={MaxConcurrency} must be 1..64");
        }
    }
}
