namespace DrOrchestrator.Core.Replication;

/// <summary>How one replication run behaves. Validated at the start of the run.</summary>
public sealed record ReplicationOptions
{
    public const int DefaultMaxConcurrency = 4;

    /// <summary>Objects copied at the same time (each holds at most one pack in a temp file). Default 4, range 1..64.</summary>
    public int MaxConcurrency { get; init; } = DefaultMaxConcurrency;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field and its value.</summary>
    public void Validate()
    {
        if (MaxConcurrency is < 1 or > 64)
        {
            throw new ArgumentException($"replication option {nameof(MaxConcurrency)}={MaxConcurrency} must be 1..64");
        }
    }
}
