using System.Collections.Concurrent;

namespace DrOrchestrator.Server.Work;

/// <summary>A job as this node sees it while (and shortly after) it runs: the live progress the API shows.</summary>
public sealed class LiveJob
{
    public required string JobId { get; init; }

    public required string Kind { get; init; }

    public required string Policy { get; init; }

    public required string RequestedBy { get; init; }

    public DateTimeOffset QueuedAt { get; init; }

    /// <summary>queued, scanning, archiving, restoring, copying, then succeeded / degraded / failed / cancelled / skipped / interrupted.</summary>
    public string Phase { get; set; } = "queued";

    public long FilesDone { get; set; }

    public long BytesDone { get; set; }

    public long? TotalBytes { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The catalog run the job recorded, once known.</summary>
    public long? RunId { get; set; }

    public string? Message { get; set; }

    internal CancellationTokenSource Cancellation { get; } = new();

    public bool IsFinished => FinishedAt is not null;
}

/// <summary>
/// The jobs this node queued or runs, with their live progress and a way to cancel them. The
/// durable record of a run is the catalog; this is what makes "bytes so far" visible.
/// </summary>
public sealed class RunTracker(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, LiveJob> _jobs = new(StringComparer.Ordinal);

    public IReadOnlyCollection<LiveJob> Jobs => [.. _jobs.Values];

    public LiveJob Track(string jobId, string kind, string policy, string requestedBy) =>
        _jobs.GetOrAdd(jobId, id => new LiveJob { JobId = id, Kind = kind, Policy = policy, RequestedBy = requestedBy, QueuedAt = time.GetUtcNow() });

    public LiveJob? Get(string jobId) => _jobs.TryGetValue(jobId, out var job) ? job : null;

    /// <summary>Cancels the job when it runs here; false when it is unknown here or finished.</summary>
    public bool Cancel(string jobId)
    {
        if (!_jobs.TryGetValue(jobId, out var job) || job.IsFinished)
        {
            return false;
        }

        job.Cancellation.Cancel();
        return true;
    }

    public void Finish(LiveJob job, string phase, string? message)
    {
        ArgumentNullException.ThrowIfNull(job);
        job.Phase = phase;
        job.Message = message;
        job.FinishedAt = time.GetUtcNow();
    }
}
