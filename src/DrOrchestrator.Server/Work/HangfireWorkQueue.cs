using Hangfire;
using Hangfire.States;

namespace DrOrchestrator.Server.Work;

/// <summary><see cref="IWorkQueue"/> over Hangfire; every job is tracked from the moment it is queued.</summary>
public sealed class HangfireWorkQueue(IBackgroundJobClient client, RunTracker tracker) : IWorkQueue
{
    public string EnqueueBackup(string policy, long? fireId, string requestedBy)
    {
        var id = client.Enqueue<PolicyJobs>(j => j.BackupAsync(policy, fireId, requestedBy, null, CancellationToken.None));
        tracker.Track(id, "backup", policy, requestedBy);
        return id;
    }

    public string EnqueueCopy(string policy, string requestedBy)
    {
        var id = client.Enqueue<PolicyJobs>(j => j.CopyAsync(policy, requestedBy, null, CancellationToken.None));
        tracker.Track(id, "copy", policy, requestedBy);
        return id;
    }

    public string EnqueueDrill(string policy, long? fireId, string requestedBy)
    {
        var id = client.Enqueue<PolicyJobs>(j => j.DrillAsync(policy, fireId, requestedBy, null, CancellationToken.None));
        tracker.Track(id, "drill", policy, requestedBy);
        return id;
    }

    public string EnqueuePrune(string policy, long? fireId, string requestedBy)
    {
        var id = client.Enqueue<PolicyJobs>(j => j.PruneAsync(policy, fireId, requestedBy, null, CancellationToken.None));
        tracker.Track(id, "prune", policy, requestedBy);
        return id;
    }

    public string EnqueueRestore(RestoreJobRequest request, string requestedBy)
    {
        ArgumentNullException.ThrowIfNull(request);
        var id = client.Enqueue<PolicyJobs>(j => j.RestoreAsync(
            request.Policy, request.SnapshotId, request.At, request.From, request.Include.ToArray(), request.Destination, request.Overwrite, requestedBy, null, CancellationToken.None));
        tracker.Track(id, "restore", request.Policy, requestedBy);
        return id;
    }

    public bool Cancel(string jobId)
    {
        // Deleting the job stops a queued one from starting (and a running one from being retried);
        // Hangfire also cancels a running job's token when it sees the deletion, on any node.
        // Only unfinished states: a job that already ended is not "cancelled" after the fact.
        if (tracker.Get(jobId) is { IsFinished: true })
        {
            return false;
        }

        bool local = tracker.Cancel(jobId);
        bool deleted = client.Delete(jobId, EnqueuedState.StateName) || client.Delete(jobId, ProcessingState.StateName)
            || client.Delete(jobId, ScheduledState.StateName) || client.Delete(jobId, FailedState.StateName);
        return local || deleted;
    }
}
