namespace DrOrchestrator.Core.Storage.Decorators;

/// <summary>How <see cref="RetryingObjectStore"/> retries transient failures.</summary>
public sealed class RetryOptions
{
    /// <summary>Attempts per operation including the first (1 = no retry).</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Base delay before the first retry; doubles each attempt.</summary>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Upper bound of a single delay.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>No retry starts after this much time since the first attempt.</summary>
    public TimeSpan MaxElapsed { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Problems, each naming the field and value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxAttempts is < 1 or > 100)
        {
            errors.Add($"Retry:MaxAttempts must be between 1 and 100 (got {MaxAttempts}).");
        }

        if (InitialDelay < TimeSpan.Zero)
        {
            errors.Add($"Retry:InitialDelay must not be negative (got {InitialDelay}).");
        }

        if (MaxDelay < InitialDelay)
        {
            errors.Add($"Retry:MaxDelay must be at least InitialDelay (got {MaxDelay} < {InitialDelay}).");
        }

        if (MaxElapsed < TimeSpan.Zero)
        {
            errors.Add($"Retry:MaxElapsed must not be negative (got {MaxElapsed}).");
        }

        return errors;
    }
}
