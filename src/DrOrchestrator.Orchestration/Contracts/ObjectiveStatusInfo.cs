using DrOrchestrator.Orchestration.Monitoring;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>
/// One row of `drorch status --json`: a policy on one target (durations in seconds, null when
/// unknown; compliance as a fraction 0..1; <see cref="State"/> is ok, rpo, rto or rpo+rto).
/// </summary>
public sealed record ObjectiveStatusInfo(
    string Policy,
    string Target,
    string Role,
    string State,
    bool WithinObjectives,
    double RpoSeconds,
    double? ExposureSeconds,
    DateTimeOffset? NewestRecoveryPoint,
    double Compliance24h,
    double Compliance7d,
    double Compliance30d,
    int Breaches30d,
    string LastDrill,
    DateTimeOffset? LastDrillAt,
    double? RtoAchievedSeconds,
    double RtoSeconds,
    double? WorstRto30dSeconds,
    double? PredictedRtoSeconds,
    double? CopyLagSeconds)
{
    public static ObjectiveStatusInfo From(TargetObjectives row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new ObjectiveStatusInfo(
            row.Policy,
            row.Target,
            row.Role.ToString().ToLowerInvariant(),
            ObjectivesFormat.State(row),
            row.WithinObjectives,
            row.RpoTarget.TotalSeconds,
            row.Exposure?.TotalSeconds,
            row.NewestRecoveryPoint,
            row.Compliance.Day,
            row.Compliance.Week,
            row.Compliance.Month,
            row.Breaches.Count,
            ObjectivesFormat.Outcome(row.LastDrill?.Outcome),
            row.LastDrill?.StartedAt,
            row.LastDrill?.RtoAchieved.TotalSeconds,
            row.RtoTarget.TotalSeconds,
            row.WorstRto?.TotalSeconds,
            row.PredictedRto?.TotalSeconds,
            row.CopyLag?.TotalSeconds);
    }
}
