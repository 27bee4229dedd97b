using System.Collections.Concurrent;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using Microsoft.Extensions.Logging;
using Quartz;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>A policy's exposure at the last watchdog pass; null exposure = no complete recovery point yet.</summary>
public sealed record RpoReading(string Policy, TimeSpan Rpo, TimeSpan? Exposure, DateTimeOffset CheckedAt)
{
    public bool Exceeded => Exposure is null || Exposure > Rpo;
}

/// <summary>The watchdog's latest readings, for /api/status.</summary>
public sealed class RpoReadings
{
    public ConcurrentDictionary<string, RpoReading> ByPolicy { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The periodic RPO watchdog: compares every policy's exposure (now − newest recovery point
/// complete on a target) with its RPO and warns when it is exceeded; it also runs the fire
/// catch-up, so a fire Quartz dropped is found within one period.
/// </summary>
[DisallowConcurrentExecution]
public sealed class RpoWatchdogJob(CatalogStore catalog, FireCatchUp catchUp, RpoReadings readings, TimeProvider time, ILogger<RpoWatchdogJob> logger) : IJob
{
    public static readonly JobKey Key = new("rpo-watchdog", "drorch");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ct = cancellationToken;
        var policies = await catalog.ListPoliciesAsync(ct).ConfigureAwait(false);
        var now = time.GetUtcNow();
        foreach (var policy in policies)
        {
            var snapshots = await catalog.ListSnapshotsAsync(policy.Name, ct).ConfigureAwait(false);
            var points = snapshots.SelectMany(s => s.Presence
                .Where(p => p.Status == PresenceStatus.Present && p.CompleteAt is not null)
                .Select(p => new CompletedRecoveryPoint(s.Figures.RecoveryPoint, p.CompleteAt!.Value)));
            var reading = new RpoReading(policy.Name, policy.Rpo, RpoCalculator.CurrentExposure(points, now), now);
            readings.ByPolicy[policy.Name] = reading;
            if (reading.Exceeded && reading.Exposure is { } exposure)
            {
                Log.RpoExceeded(logger, policy.Name, exposure, policy.Rpo);
            }
        }

        foreach (var gone in readings.ByPolicy.Keys.Except(policies.Select(p => p.Name)).ToList())
        {
            readings.ByPolicy.TryRemove(gone, out _);
        }

        await catchUp.RunAsync(policies, ct).ConfigureAwait(false);
    }
}
