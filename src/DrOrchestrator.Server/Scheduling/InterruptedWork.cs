using DrOrchestrator.Catalog;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>
/// With the in-memory work queue a restart forgets every job. Scheduled fires whose work never
/// finished (enqueued, or interrupted by a shutdown) are in the catalog, though: the newest per
/// policy is enqueued again; older ones are superseded by it.
/// </summary>
public sealed class InterruptedWork(CatalogStore catalog, FireHandler handler, ILogger<InterruptedWork> logger)
{
    public async Task<int> RequeueAsync(CancellationToken cancellationToken)
    {
        var open = (await catalog.ListFiresAsync(null, FireStatus.Enqueued, cancellationToken).ConfigureAwait(false))
            .Concat(await catalog.ListFiresAsync(null, FireStatus.Interrupted, cancellationToken).ConfigureAwait(false))
            .GroupBy(f => (f.PolicyName, f.Kind));
        int requeued = 0;
        foreach (var group in open)
        {
            var fires = group.OrderBy(f => f.ScheduledAt).ToList();
            foreach (var older in fires.SkipLast(1))
            {
                await catalog.UpdateFireAsync(older.Id, FireStatus.Done, null, "superseded by a later fire after a restart", cancellationToken).ConfigureAwait(false);
            }

            var newest = fires[^1];
            if (await catalog.GetPolicyAsync(newest.PolicyName, cancellationToken).ConfigureAwait(false) is null)
            {
                await catalog.UpdateFireAsync(newest.Id, FireStatus.Done, null, "policy deleted", cancellationToken).ConfigureAwait(false);
                continue;
            }

            // Its job went with the stopped process's in-memory queue: enqueued again, owned by no job
            // before the new one exists, so the new job (whose "done" is the last word) can make it its own.
            await catalog.ReopenFireAsync(newest.Id, cancellationToken).ConfigureAwait(false);
            if (await handler.EnqueueAsync(newest.PolicyName, newest.Kind, newest.ScheduledAt, newest.Id, cancellationToken).ConfigureAwait(false) is { } jobId)
            {
                Log.Requeued(logger, newest.Kind.ToString(), newest.PolicyName, newest.ScheduledAt, jobId);
                requeued++;
            }
        }

        return requeued;
    }
}
