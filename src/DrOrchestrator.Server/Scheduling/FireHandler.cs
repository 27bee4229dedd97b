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

    public async Task<FireOutcome> HandleAsync(string policy, RunKind kind, DateTimeOffset scheduledAt, CancellationToken cancellationToken)
    {
        var lateness = time.GetUtcNow() - scheduledAt;
        if (lateness > Grace)
        {
            var reason = $"fired {lateness.TotalSeconds:0} s late, grace {Grace.TotalSeconds:0} s";
            var missed = await catalog.TryClaimFireAsync(policy, kind, scheduledAt, FireStatus.Missed, reason, cancellationToken).ConfigureAwait(false);
            if (missed is null)
            {
                Log.FireDuplicate(logger, policy, kind.ToString(), scheduledAt);
                return FireOutcome.Duplicate;
            }

            Log.FireMissed(logger, policy, kind.ToString(), scheduledAt, reason);
            return FireOutcome.Missed;
        }

        var fireId = await catalog.TryClaimFireAsync(policy, kind, scheduledAt, FireStatus.Enqueued, null, cancellationToken).ConfigureAwait(false);
        if (fireId is null)
        {
            Log.FireDuplicate(logger, policy, kind.ToString(), scheduledAt);
            return FireOutcome.Duplicate;
        }

        await EnqueueAsync(policy, kind, scheduledAt, fireId.Value, cancellationToken).ConfigureAwait(false);
        return FireOutcome.Enqueued;
    }

    /// <summary>Enqueues the work of a claimed fire and records its job id.</summary>
    public async Task<string?> EnqueueAsync(string policy, RunKind kind, DateTimeOffset scheduledAt, long fireId, CancellationToken cancellationToken)
    {
        var jobId = kind switch
        {
            RunKind.Backup => queue.EnqueueBackup(policy, fireId, "schedule"),
            RunKind.Drill => queue.EnqueueDrill(policy, fireId, "schedule"),
            RunKind.Prune => queue.EnqueuePrune(policy, fireId, "schedule"),
            _ => null,
        };
        if (jobId is null)
        {
            await catalog.UpdateFireAsync(fireId, FireStatus.Missed, null, $"no {kind.ToString().ToLowerInvariant()} job in this build", cancellationToken).ConfigureAwait(false);
            return null;
        }

        await catalog.UpdateFireAsync(fireId, FireStatus.Enqueued, jobId, null, cancellationToken).ConfigureAwait(false);
        Log.FireEnqueued(logger, policy, kind.ToString(), scheduledAt, jobId);
        return jobId;
    }
}
