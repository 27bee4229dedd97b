using System.Collections.Concurrent;
using System.Text.Json;
using Hangfire;

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
/// durable record of a run is the catalog; this is what makes "bytes so far" visible. A finished
/// job's outcome is also kept with the job in the work queue's store, so any node of a cluster
/// can answer for a job another node ran.
/// </summary>
public sealed class RunTracker(TimeProvider time, JobStorage storage)
{
    /// <summary>The Hangfire job parameter holding a finished job's outcome (JSON).</summary>
    public const string OutcomeParameter = "drorch-outcome";

    private const string LocalPrefix = "local-";

    private readonly ConcurrentDictionary<string, LiveJob> _jobs = new(StringComparer.Ordinal);

    public IReadOnlyCollection<LiveJob> Jobs => [.. _jobs.Values];

    public LiveJob Track(string jobId, string kind, string policy, string requestedBy) =>
        _jobs.GetOrAdd(jobId, id => new LiveJob { JobId = id, Kind = kind, Policy = policy, RequestedBy = requestedBy, QueuedAt = time.GetUtcNow() });

    /// <summary>The job as this node sees it live.</summary>
    public LiveJob? Get(string jobId) => _jobs.TryGetValue(jobId, out var job) ? job : null;

    /// <summary>
    /// The job live on this node, or finished on any node sharing the store (a job this node only
    /// queued shows "queued" here until the node that ran it recorded its outcome).
    /// </summary>
    public LiveJob? Find(string jobId)
    {
        var local = Get(jobId);
        if (local is { IsFinished: true } || jobId.StartsWith(LocalPrefix, StringComparison.Ordinal))
        {
            return local;
        }

        using var connection = storage.GetConnection();
        var stored = connection.GetJobParameter(jobId, OutcomeParameter);
        return stored is null ? local : JsonSerializer.Deserialize<LiveJob>(stored, OutcomeJson);
    }

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
        if (!job.JobId.StartsWith(LocalPrefix, StringComparison.Ordinal))
        {
            using var connection = storage.GetConnection();
            connection.SetJobParameter(job.JobId, OutcomeParameter, JsonSerializer.Serialize(job, OutcomeJson));
        }
    }

    private static readonly JsonSerializerOptions OutcomeJson = new(JsonSerializerDefaults.Web);
}
