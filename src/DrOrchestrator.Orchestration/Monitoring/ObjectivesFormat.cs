using System.Globalization;
using DrOrchestrator.Catalog;

namespace DrOrchestrator.Orchestration.Monitoring;

/// <summary>How durations, percentages and outcomes read in `status`, the status page and the report.</summary>
public static class ObjectivesFormat
{
    public static string Duration(TimeSpan? span) => ObjectiveWatchdog.Describe(span);

    public static string Percent(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";

    public static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "never";

    public static string Outcome(DrillOutcome? outcome) => outcome switch
    {
        null => "never",
        DrillOutcome.Passed => "passed",
        DrillOutcome.Failed => "failed",
        DrillOutcome.PassedOverRto => "passed-over-rto",
        _ => outcome.Value.ToString().ToLowerInvariant(),
    };

    /// <summary>"ok", or what is outside the objectives ("rpo", "rto", "rpo+rto").</summary>
    public static string State(TargetObjectives row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return (row.RpoMet, row.RtoMet) switch
        {
            (true, true) => "ok",
            (false, true) => "rpo",
            (true, false) => "rto",
            _ => "rpo+rto",
        };
    }
}
