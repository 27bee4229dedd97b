namespace DrOrchestrator.Core.Policies;

/// <summary>
/// A Quartz cron expression (6 or 7 fields, with seconds) evaluated in an IANA time zone.
/// </summary>
public sealed record PolicySchedule(string Cron, string TimeZone)
{
    /// <summary>Time zone used when the YAML omits <c>timeZone</c>.</summary>
    public const string DefaultTimeZone = "UTC";
}

/// <summary>
/// A scheduled restore drill. <see cref="SampleFiles"/> = 0 restores and verifies everything;
/// N &gt; 0 restores a random sample of N files.
/// </summary>
public sealed record DrillSettings(PolicySchedule Schedule, int SampleFiles);
