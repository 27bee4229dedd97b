using DrOrchestrator.Catalog;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.Monitoring;

/// <summary>
/// One pass of the monitoring watchdog: recomputes the objectives (published in
/// <see cref="ObjectivesSnapshot"/> for the metrics and the status page) and turns what changed
/// since the previous pass into alerts. An RPO breach alerts when exposure crosses the target —
/// found by the next pass, not by the next backup — and once more, <c>resolved</c>, when a recovery
/// point brings it back; drill failures, drills over RTO and failed backups alert once per run.
/// De-duplication state lives in this (singleton) object: the first pass after a start adopts the
/// runs already recorded without alerting, and re-alerts a breach that is still open (one alert per
/// restart at most, rather than a silent breach). In a cluster every node computes and publishes,
/// and only the holder of the <see cref="IAlertingLease"/> alerts; a node without it keeps no
/// state, so taking the lease over is a start.
/// </summary>
public sealed class ObjectiveWatchdog(
    ObjectivesService objectives, CatalogStore catalog, IAlertSender sender, ObjectivesSnapshot snapshot, ObjectiveMetrics metrics, IAlertingLease lease,
    ILogger<ObjectiveWatchdog> logger)
{
    private readonly Dictionary<string, DateTimeOffset> _openBreaches = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    // Runs finished at or after _runsSince are looked at; those already handled at exactly that instant are skipped.
    private readonly HashSet<long> _handledRuns = [];
    private DateTimeOffset? _runsSince;

    /// <summary>Runs one pass; passes never overlap.</summary>
    public async Task<ObjectivesReport> PassAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var report = await objectives.GetAsync(ObjectivesService.Week, null, cancellationToken).ConfigureAwait(false);
            var totals = await catalog.GetBackupByteTotalsAsync(cancellationToken).ConfigureAwait(false);
            snapshot.Publish(report, totals);
            if (!await lease.HoldAsync(cancellationToken).ConfigureAwait(false))
            {
                _openBreaches.Clear();
                _handledRuns.Clear();
                _runsSince = null;
                return report;
            }

            await BreachesAsync(report, cancellationToken).ConfigureAwait(false);
            await RunsAsync(report, cancellationToken).ConfigureAwait(false);
            return report;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task BreachesAsync(ObjectivesReport report, CancellationToken ct)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in report.Rows)
        {
            var key = $"rpo:{row.Policy}:{row.Target}";
            seen.Add(key);
            var open = _openBreaches.ContainsKey(key);
            if (!row.RpoMet && !open)
            {
                var since = row.Breaches.LastOrDefault(b => b.End is null)?.Start ?? report.GeneratedAt;
                string summary;
                if (row.Exposure is { } exposure)
                {
                    Log.RpoBreached(logger, row.Policy, row.Target, exposure, row.RpoTarget);
                    summary = $"RPO of {row.Policy} on {row.Target} breached: exposure {Describe(exposure)} > target {Describe(row.RpoTarget)}";
                }
                else
                {
                    // Never backed up (a new policy, or one whose first backup has not finished): not
                    // an exposure to report as a figure, and at Warning — it is usually minutes old.
                    Log.NoSnapshotYet(logger, row.Policy, row.Target, row.RpoTarget);
                    summary = $"{row.Policy} has no snapshot on {row.Target} yet (RPO {Describe(row.RpoTarget)})";
                }

                var alert = RpoAlert(row, key, Alert.Firing, since, report.GeneratedAt, summary);
                if (await sender.SendAsync(alert, ct).ConfigureAwait(false))
                {
                    _openBreaches[key] = since;
                }
            }
            else if (row.RpoMet && open)
            {
                Log.RpoRecovered(logger, row.Policy, row.Target, row.Exposure, row.RpoTarget);
                var alert = RpoAlert(row, key, Alert.Resolved, _openBreaches[key], report.GeneratedAt,
                    $"RPO of {row.Policy} on {row.Target} recovered: exposure {Describe(row.Exposure)} ≤ target {Describe(row.RpoTarget)}");
                if (await sender.SendAsync(alert, ct).ConfigureAwait(false))
                {
                    _openBreaches.Remove(key);
                }
            }
        }

        // A policy or target that went away takes its open breach with it.
        foreach (var gone in _openBreaches.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _openBreaches.Remove(gone);
        }
    }

    private async Task RunsAsync(ObjectivesReport report, CancellationToken ct)
    {
        if (_runsSince is not { } since)
        {
            // The first pass only sets the mark: what finished before this process watched was alerted by its predecessor.
            _runsSince = report.GeneratedAt;
            return;
        }

        var runs = (await catalog.ListRunsFinishedSinceAsync(since, ct).ConfigureAwait(false)).Where(r => !_handledRuns.Contains(r.Id)).ToList();
        var drills = runs.Any(r => r.Kind == RunKind.Drill)
            ? (await catalog.ListDrillsAsync(null, ct).ConfigureAwait(false)).ToDictionary(d => d.RunId)
            : [];
        foreach (var run in runs)
        {
            var alert = RunAlert(run, drills.GetValueOrDefault(run.Id), report.GeneratedAt);
            if (alert is not null && !await sender.SendAsync(alert, ct).ConfigureAwait(false))
            {
                // Undelivered: stop here so this run (and the ones after it) are tried again next pass.
                return;
            }

            metrics.RecordRun(run.PolicyName, run.Kind, run.Status, run.FinishedAt!.Value - run.StartedAt);
            if (run.FinishedAt > _runsSince)
            {
                _runsSince = run.FinishedAt;
                _handledRuns.Clear();
            }

            _handledRuns.Add(run.Id);
        }
    }

    private Alert? RunAlert(CatalogRun run, DrillRecord? drill, DateTimeOffset now)
    {
        var policy = run.PolicyName ?? "(none)";
        if (run.Kind == RunKind.Backup && run.Status == RunStatus.Failed)
        {
            Log.BackupFailed(logger, policy, run.Id, run.ErrorMessage);
            return new Alert($"backup:{run.Id}", $"backup:{run.Id}", AlertKind.BackupFailed, Alert.Firing, policy, run.TargetName,
                $"Backup of {policy} failed: {run.ErrorMessage}", now,
                new Dictionary<string, object?> { ["runId"] = run.Id, ["startedAt"] = run.StartedAt, ["error"] = run.ErrorMessage });
        }

        if (drill is null || drill.Outcome == DrillOutcome.Passed)
        {
            return null;
        }

        var target = drill.TargetName ?? "(all)";
        var details = new Dictionary<string, object?>
        {
            ["runId"] = run.Id,
            ["snapshotId"] = drill.SnapshotId,
            ["filesVerified"] = drill.FilesVerified,
            ["mismatches"] = drill.Mismatches,
            ["rtoAchievedSeconds"] = drill.RtoAchieved.TotalSeconds,
            ["rtoTargetSeconds"] = drill.RtoTarget?.TotalSeconds,
        };
        if (drill.Outcome == DrillOutcome.Failed)
        {
            Log.DrillFailed(logger, policy, target, run.Id, drill.Mismatches);
            return new Alert($"drill:{run.Id}", $"drill:{run.Id}", AlertKind.DrillFailed, Alert.Firing, policy, drill.TargetName,
                $"Restore drill of {policy} from {target} failed: {drill.Mismatches} mismatches", now, details);
        }

        Log.DrillOverRto(logger, policy, target, run.Id, drill.RtoAchieved, drill.RtoTarget);
        return new Alert($"drill:{run.Id}", $"drill:{run.Id}", AlertKind.DrillOverRto, Alert.Firing, policy, drill.TargetName,
            $"Restore drill of {policy} from {target} took {Describe(drill.RtoAchieved)}, over the RTO of {Describe(drill.RtoTarget)}", now, details);
    }

    private static Alert RpoAlert(TargetObjectives row, string key, string status, DateTimeOffset since, DateTimeOffset now, string summary) => new(
        $"{key}:{since.ToUnixTimeSeconds()}:{status}",
        key,
        AlertKind.RpoBreach,
        status,
        row.Policy,
        row.Target,
        summary,
        now,
        new Dictionary<string, object?>
        {
            ["breachStart"] = since,
            ["exposureSeconds"] = row.Exposure?.TotalSeconds,
            ["rpoSeconds"] = row.RpoTarget.TotalSeconds,
            ["newestRecoveryPoint"] = row.NewestRecoveryPoint,
        });

    /// <summary>"2h 05m", "14m 03s", "never" — for summaries.</summary>
    public static string Describe(TimeSpan? span) => span switch
    {
        null => "never",
        { TotalDays: >= 1 } d => $"{(int)d.TotalDays}d {d.Hours:00}h",
        { TotalHours: >= 1 } h => $"{(int)h.TotalHours}h {h.Minutes:00}m",
        { TotalMinutes: >= 1 } m => $"{(int)m.TotalMinutes}m {m.Seconds:00}s",
        { } s => $"{s.TotalSeconds:0.###}s",
    };
}
