namespace DrOrchestrator.Core.Policies;

/// <summary>
/// A Quartz cron expression (6 or 7 fields, with seconds) evaluated in an IANA time zone.
/// </summary>
public sealed record PolicySchedule(string Cron, string TimeZone)
{
    /// <summary>Time zone used when the YAML omits <c>timeZone</c>.</summary>
    public const string DefaultTimeZone = "UTC";

    /// <summary>Daily windows (in <see cref="TimeZone"/>) in which no run of this schedule starts.</summary>
    public IReadOnlyList<BlackoutWindow> Blackouts { get; init; } = [];

    // Value equality includes the windows' contents (a record would compare the list by reference).
    public bool Equals(PolicySchedule? other) =>
        other is not null && Cron == other.Cron && TimeZone == other.TimeZone && Blackouts.SequenceEqual(other.Blackouts);

    public override int GetHashCode() => HashCode.Combine(Cron, TimeZone, Blackouts.Count);
}

/// <summary>
/// A daily window, <c>HH:mm-HH:mm</c> in the schedule's time zone, in which no run starts; a
/// window whose end is before its start wraps midnight (<c>22:00-02:00</c>). The end is exclusive.
/// </summary>
public sealed record BlackoutWindow(TimeOnly From, TimeOnly To)
{
    public bool WrapsMidnight => To < From;

    /// <summary>Parses <c>HH:mm-HH:mm</c>; null when the text is not that shape or the window is empty.</summary>
    public static BlackoutWindow? TryParse(string text)
    {
        var parts = text.Split('-');
        return parts.Length == 2
            && TimeOnly.TryParseExact(parts[0].Trim(), "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var from)
            && TimeOnly.TryParseExact(parts[1].Trim(), "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var to)
            && from != to
            ? new BlackoutWindow(from, to)
            : null;
    }

    public override string ToString() =>
        $"{From.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)}-{To.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>
/// A scheduled restore drill. <see cref="SampleFiles"/> = 0 restores and verifies everything;
/// N &gt; 0 restores a random sample of N files.
/// </summary>
public sealed record DrillSettings(PolicySchedule Schedule, int SampleFiles);
