using DrOrchestrator.Catalog;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>
/// A fire is claimed in the catalog first and queued after; a node killed between the two (in a
/// burst of 1,000 that window is the seconds the enqueue takes), or a queue that failed mid-batch,
/// leaves the claim without a job. The claim still stops every other node and the catch-up from
/// firing that instant again, so without this the fire would never run and would stay "enqueued"
/// for good. A claim still job-less <see cref="StrandedAfter"/> later is judged like any late fire:
/// queued now when within the misfire grace, else recorded missed — either way it shows. When the
/// claim's original job existed after all (its node died before recording its id), the first of
/// the two jobs to start owns the fire and the other runs nothing (decisions §78).
/// </summary>
public sealed class StrandedFires(CatalogStore catalog, FireHandler handler, TimeProvider time, ILogger<StrandedFires> logger)
{
    /// <summary>
    /// How long a claim may stay job-less before it counts as stranded: far above the seconds a
    /// live node takes from claim to recorded job ids (2–3 s for a burst of 1,000, decisions §71),
    /// since a node that is only slow would otherwise see its fire queued twice.
    /// </summary>
    public static readonly TimeSpan StrandedAfter = TimeSpan.FromMinutes(2);

    /// <summary>Queues or records as missed every stranded fire; returns how many were handled.</summary>
    public async Task<int> ResolveAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var stranded = await catalog.ListStrandedFiresAsync(now - StrandedAfter, cancellationToken).ConfigureAwait(false);
        foreach (var fire in stranded)
        {
            var kind = fire.Kind.ToString().ToLowerInvariant();
            var lateness = now - fire.ScheduledAt;
            if (await catalog.GetPolicyAsync(fire.PolicyName, cancellationToken).ConfigureAwait(false) is null)
            {
                await catalog.UpdateFireAsync(fire.Id, FireStatus.Done, null, "policy deleted", cancellationToken).ConfigureAwait(false);
                Log.StrandedFire(logger, kind, fire.PolicyName, fire.ScheduledAt, "the policy was deleted since");
            }
            else if (lateness > handler.Grace)
            {
                var detail = $"claimed but never queued; found {lateness.TotalSeconds:0} s late, grace {handler.Grace.TotalSeconds:0} s";
                await catalog.UpdateFireAsync(fire.Id, FireStatus.Missed, null, detail, cancellationToken).ConfigureAwait(false);
                Log.StrandedFire(logger, kind, fire.PolicyName, fire.ScheduledAt, "recorded missed: " + detail);
            }
            else
            {
                var jobId = await handler.EnqueueAsync(fire.PolicyName, fire.Kind, fire.ScheduledAt, fire.Id, cancellationToken).ConfigureAwait(false);
                Log.StrandedFire(logger, kind, fire.PolicyName, fire.ScheduledAt, jobId is null ? "no job of that kind in this build" : $"queued now as job {jobId}");
            }
        }

        return stranded.Count;
    }
}
