namespace DrOrchestrator.Core.Storage.Http;

/// <summary>
/// How long a cloud target may stay silent before a request counts as stalled (<c>Targets:&lt;name&gt;:Timeouts</c>):
/// seconds for a request's fixed part, a minimum throughput for its body. A stalled request fails
/// as a transient error, so the retry decorator sends it again after a back-off instead of
/// waiting for the SDK's minutes-long timeout (docs/decisions.md §33).
/// </summary>
public sealed class TransferTimeouts
{
    /// <summary>
    /// Connect and first answer: a request without a body (HEAD, LIST, DELETE, a GET's headers)
    /// fails when no response arrives within this time; an upload gets this long for the server's
    /// answer after its last byte, and a download fails when no byte arrives for this long.
    /// </summary>
    public TimeSpan Request { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The slowest body transfer still counted as progress: an upload or download of n bytes fails
    /// after <see cref="Request"/> + n / this rate even while bytes trickle in.
    /// </summary>
    public int MinThroughputKiBPerSecond { get; set; } = 64;

    /// <summary>The longest a whole request with a body of <paramref name="bodyBytes"/> may take.</summary>
    public TimeSpan Deadline(long bodyBytes) =>
        Request + TimeSpan.FromSeconds(Math.Max(0, bodyBytes) / (MinThroughputKiBPerSecond * 1024.0));

    /// <summary>Problems, each naming the field and value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Request < TimeSpan.FromMilliseconds(100) || Request > TimeSpan.FromMinutes(30))
        {
            errors.Add($"Timeouts:Request: must be between 00:00:00.1 and 00:30:00 (got {Request}).");
        }

        if (MinThroughputKiBPerSecond is < 1 or > 10 * 1024 * 1024)
        {
            errors.Add($"Timeouts:MinThroughputKiBPerSecond: must be between 1 and 10485760 (got {MinThroughputKiBPerSecond}).");
        }

        return errors;
    }
}
