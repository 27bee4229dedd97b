using System.Diagnostics.Metrics;
using DrOrchestrator.Catalog;

namespace DrOrchestrator.Orchestration.Monitoring;

/// <summary>
/// The objectives as OpenTelemetry instruments (System.Diagnostics.Metrics; the service exports
/// them in Prometheus format at /metrics). Gauges read the watchdog's latest pass
/// (<see cref="ObjectivesSnapshot"/>), so a scrape costs no catalog query; names carry their unit.
/// </summary>
public sealed class ObjectiveMetrics : IDisposable
{
    public const string MeterName = "DrOrchestrator";

    private readonly Meter _meter;
    private readonly Histogram<double> _runDuration;

    public ObjectiveMetrics(IMeterFactory meterFactory, ObjectivesSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(snapshot);
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableGauge("drorch_rpo_exposure_seconds", () => Rows(snapshot)
            .Where(r => r.Exposure is not null)
            .Select(r => Measure(r.Exposure!.Value.TotalSeconds, r)), description: "Now minus the newest recovery point complete on the target");
        _meter.CreateObservableGauge("drorch_rpo_target_seconds", () => (snapshot.Report?.Policies ?? [])
            .Select(p => new Measurement<double>(p.Rpo.TotalSeconds, new KeyValuePair<string, object?>("policy", p.Policy))), description: "The policy's RPO");
        _meter.CreateObservableGauge("drorch_rto_achieved_seconds", () => Rows(snapshot)
            .Where(r => r.LastDrill is not null)
            .Select(r => Measure(r.LastDrill!.RtoAchieved.TotalSeconds, r)), description: "Wall time of the last drill until data was restored and verified");
        _meter.CreateObservableGauge("drorch_rto_predicted_seconds", () => Rows(snapshot)
            .Where(r => r.PredictedRto is not null)
            .Select(r => Measure(r.PredictedRto!.Value.TotalSeconds, r)), description: "Predicted restore-and-verify time of the newest snapshot");
        _meter.CreateObservableGauge("drorch_drill_last_success", () => Rows(snapshot)
            .Where(r => r.LastDrill is not null)
            .Select(r => new Measurement<int>(r.LastDrill!.Outcome == DrillOutcome.Failed ? 0 : 1, Tags(r))), description: "1 when the last drill verified every file, else 0");
        _meter.CreateObservableCounter("drorch_backup_bytes", () => snapshot.BackupBytes.SelectMany(b => new[]
        {
            Bytes(b.BytesRead, b.PolicyName, "read"),
            Bytes(b.BytesNew, b.PolicyName, "new"),
            Bytes(b.BytesStored, b.PolicyName, "stored"),
        }), description: "Bytes of committed backups: read from sources, new after dedup, stored after compression");
        _runDuration = _meter.CreateHistogram<double>("drorch_run_duration_seconds", description: "Wall time of finished runs");
    }

    /// <summary>Records a finished run's duration (the watchdog calls this once per run).</summary>
    public void RecordRun(string? policy, RunKind kind, RunStatus status, TimeSpan duration) =>
        _runDuration.Record(
            duration.TotalSeconds,
            new KeyValuePair<string, object?>("policy", policy ?? ""),
            new KeyValuePair<string, object?>("kind", kind.ToString().ToLowerInvariant()),
            new KeyValuePair<string, object?>("status", status.ToString().ToLowerInvariant()));

    public void Dispose() => _meter.Dispose();

    private static IEnumerable<TargetObjectives> Rows(ObjectivesSnapshot snapshot) => snapshot.Report?.Rows ?? [];

    private static Measurement<double> Measure(double value, TargetObjectives row) => new(value, Tags(row));

    private static KeyValuePair<string, object?>[] Tags(TargetObjectives row) =>
        [new("policy", row.Policy), new("target", row.Target)];

    private static Measurement<long> Bytes(long value, string policy, string kind) =>
        new(value, new KeyValuePair<string, object?>("policy", policy), new KeyValuePair<string, object?>("kind", kind));
}
