namespace DrOrchestrator.Server.Work;

/// <summary>The durable work queue as the scheduler and the API see it (Hangfire behind it).</summary>
public interface IWorkQueue
{
    /// <summary>Enqueues a backup of <paramref name="policy"/>; <paramref name="fireId"/> links a scheduled fire. Returns the job id.</summary>
    string EnqueueBackup(string policy, long? fireId, string requestedBy);

    string EnqueueCopy(string policy, string requestedBy);

    /// <summary>Enqueues a restore drill of <paramref name="policy"/> (every target in turn); <paramref name="fireId"/> links a scheduled fire.</summary>
    string EnqueueDrill(string policy, long? fireId, string requestedBy);

    /// <summary>Enqueues a prune of <paramref name="policy"/> on each of its targets; <paramref name="fireId"/> links the prune's fire (its idempotency key).</summary>
    string EnqueuePrune(string policy, long? fireId, string requestedBy);

    string EnqueueRestore(RestoreJobRequest request, string requestedBy);

    /// <summary>Stops a queued or running job; false when there is no such job or it already finished.</summary>
    bool Cancel(string jobId);
}

/// <summary>A restore as the API asks for it; the destination is already resolved and checked.</summary>
public sealed record RestoreJobRequest(string Policy, string? SnapshotId, DateTimeOffset? At, string? From, IReadOnlyList<string> Include, string Destination, bool Overwrite);
