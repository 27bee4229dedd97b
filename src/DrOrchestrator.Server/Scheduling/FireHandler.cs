using DrOrchestrator.Catalog;
using DrOrchestrator.Server.Configuration;
using DrOrchestrator.Server.Work;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>What became of one fire.</summary>
public enum FireOutcome
{
    Enqueued,
    Missed,

    /// <summary>Another fire of the same instant (a double fire, another node) got there first.</summary>
    Duplicate,
}

/// <summary>
/// The one thing a Quartz fire does: claim the instant in the catalog (policy + kind + due time
/// is unique there, so a double fire claims once) and enqueue the work — or, when the fire comes
/// later than the grace, record it as missed and start nothing. Used by the trigger job and by
/// the catch-up after downtime, so every late fire is judged by the same rule.
/// </summary>
public sealed class FireHandler(CatalogStore catalog, IWorkQueue queue, TimeProvider time, IOptions<ServerOptions> options, ILogger<FireHandler> logger)
{
    public TimeSpan Grace => TimeSpan.FromSeconds(options.Value.MisfireGraceSeconds);

    public async Task<FireOutcome> HandleAsync(string policy, RunKind kind, DateTimeOffset scheduledAt, CancellationToken cancellationToken) =>
        (await HandleAsync([new DueFire(policy, kind, scheduledAt)], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Handles many fires together (every policy due at one cron instant): one catalog statement
    /// claims them all, the won ones are enqueued, and one transaction records their job ids —
    /// three commits for the burst, where one fire at a time cost two commits per fire.
    /// </summary>
    public async Task<IReadOnlyList<FireOutcome>> HandleAsync(IReadOnlyList<DueFire> fires, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fires);
        var now = time.GetUtcNow();
        var claims = fires.Select(fire =>
        {
            var lateness = now - fire.ScheduledAt;
            return lateness > Grace
                ? new FireClaim(fire.Policy, fire.Kind, fire.ScheduledAt, FireStatus.Missed, $"fired {lateness.TotalSeconds:0} s late, grace {Grace.TotalSeconds:0} s")
                : new FireClaim(fire.Policy, fire.Kind, fire.ScheduledAt, FireStatus.Enqueued, null);
        }).ToList();
        var ids = await catalog.TryClaimFiresAsync(claims, cancellationToken).ConfigureAwait(false);
        var outcomes = new FireOutcome[fires.Count];
        var enqueued = new List<(DueFire Fire, long FireId, string? JobId)>();
        for (int i = 0; i < fires.Count; i++)
        {
            var fire = fires[i];
            if (ids[i] is not { } fireId)
            {
                Log.FireDuplicate(logger, fire.Policy, fire.Kind.ToString(), fire.ScheduledAt);
                outcomes[i] = FireOutcome.Duplicate;
            }
            else if (claims[i].Status == FireStatus.Missed)
            {
                Log.FireMissed(logger, fire.Policy, fire.Kind.ToString(), fire.ScheduledAt, claims[i].Detail!);
                outcomes[i] = FireOutcome.Missed;
            }
            else
            {
                enqueued.Add((fire, fireId, Enqueue(fire.Policy, fire.Kind, fireId)));
                outcomes[i] = FireOutcome.Enqueued;
            }
        }

        await catalog.UpdateFiresAsync([.. enqueued.Select(e => JobRecorded(e.Fire.Kind, e.FireId, e.JobId))], cancellationToken).ConfigureAwait(false);
        foreach (var (fire, _, jobId) in enqueued.Where(e => e.JobId is not null))
        {
            Log.FireEnqueued(logger, fire.Policy, fire.Kind.ToString(), fire.ScheduledAt, jobId!);
        }

        return outcomes;
    }

    /// <summary>Enqueues the work of a claimed (or interrupted) fire and records its job id.</summary>
    public async Task<string?> EnqueueAsync(string policy, RunKind kind, DateTimeOffset scheduledAt, long fireId, CancellationToken cancellationToken)
    {
        // Enqueued before the job exists (an interrupted fire is re-queued), so the job's own "done" is the last word.
        await catalog.UpdateFiresAsync([new FireUpdate(fireId, FireStatus.Enqueued, null, null)], cancellationToken).ConfigureAwait(false);
        var jobId = Enqueue(policy, kind, fireId);
        await catalog.UpdateFiresAsync([JobRecorded(kind, fireId, jobId)], cancellationToken).ConfigureAwait(false);
        if (jobId is not null)
        {
            Log.FireEnqueued(logger, policy, kind.ToString(), scheduledAt, jobId);
        }

        return jobId;
    }

    private string? Enqueue(string policy, RunKind kind, long fireId) => kind switch
    {
        RunKind.Backup => queue.EnqueueBackup(policy, fireId, "schedule"),
        RunKind.Drill => queue.EnqueueDrill(policy, fireId, "schedule"),
        RunKind.Prune => queue.EnqueuePrune(policy, fireId, "schedule"),
        _ => null,
    };

    /// <summary>
    /// The fire's row once its work is queued: its job id only — the status is left alone, since
    /// a quick job may already have finished the fire (a batch records job ids after enqueuing all
    /// of them). Missed when this build has no job of that kind.
    /// </summary>
    private static FireUpdate JobRecorded(RunKind kind, long fireId, string? jobId) => jobId is null
        ? new FireUpdate(fireId, FireStatus.Missed, null, $"no {kind.ToString().ToLowerInvariant()} job in this build")
        : new FireUpdate(fireId, null, jobId, null);
}

/// <summary>A trigger's fire: the policy, the kind of work and the instant it was due.</summary>
public sealed record DueFire(string Policy, RunKind Kind, DateTimeOffset ScheduledAt);
