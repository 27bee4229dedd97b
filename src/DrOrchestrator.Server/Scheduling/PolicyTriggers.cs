using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using Quartz;
using Quartz.Impl.Calendar;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>
/// Turns policies' schedules into Quartz triggers, one per distinct schedule shared by the policies
/// that have it (<see cref="Key(RunKind, PolicySchedule)"/>): the cron evaluated in the schedule's time zone
/// (so 02:00 Europe/Berlin stays 02:00 local across DST), blackout windows as a calendar the
/// trigger skips, and "do nothing" on Quartz's own misfire — what a late fire becomes is decided
/// by <see cref="FireHandler"/> against the grace, the same way for every cause.
/// </summary>
public static class PolicyTriggers
{
    public static readonly JobKey FireJob = new("policy-fire", "drorch");

    /// <summary>
    /// The durable job every policy trigger fires, as the host registers it (AddQuartz): bulk
    /// scheduling stores it again beside the triggers, so it must not differ.
    /// </summary>
    public static IJobDetail FireJobDetail() => JobBuilder.Create<PolicyFireJob>().WithIdentity(FireJob).StoreDurably().Build();

    public const string KindKey = "kind";

    /// <summary>
    /// The policies a cron-instant trigger fires, with the SHA-256 of the text each was scheduled
    /// from: one <c>name=sha</c> per line, in name order (so equal memberships are equal strings).
    /// </summary>
    public const string MembersKey = "members";

    /// <summary>The trigger groups the cron-instant triggers live in, one per run kind.</summary>
    public static readonly string[] Groups = [GroupName(RunKind.Backup), GroupName(RunKind.Drill)];

    private static string GroupName(RunKind kind) => "instant:" + kind.ToString().ToLowerInvariant();

    /// <summary>
    /// The trigger every policy with this schedule shares (decisions §71): the same kind, cron, time
    /// zone and blackout windows fire at the same instants, so one Quartz trigger — one row locked,
    /// fired and completed on the clustered store — hands all of them to the intake, where each
    /// policy's fire is still its own claim. The name is a hash of the schedule, so every node
    /// derives the same key from the same policies.
    /// </summary>
    public static TriggerKey Key(RunKind kind, PolicySchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var identity = string.Join('\n', schedule.Cron, schedule.TimeZone, string.Join(',', schedule.Blackouts.Select(w =>
            w.From.ToString("HH:mm", CultureInfo.InvariantCulture) + "-" + w.To.ToString("HH:mm", CultureInfo.InvariantCulture))));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..20];
        return new TriggerKey(hash, GroupName(kind));
    }

    /// <summary>The blackout calendar of a cron-instant trigger (its windows are part of the key, so the name is the key's).</summary>
    public static string CalendarName(TriggerKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return $"blackout:{key.Group}:{key.Name}";
    }

    /// <summary>Names blackout calendars start with (a store's calendars that no trigger uses any more are dropped by this prefix).</summary>
    public const string CalendarPrefix = "blackout:";

    /// <summary>The members text of <paramref name="members"/> (name → text SHA-256).</summary>
    public static string MembersText(IEnumerable<KeyValuePair<string, string>> members) =>
        string.Join('\n', members.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => m.Key + "=" + m.Value));

    /// <summary>Reads a members text back (name → text SHA-256); empty when there is none.</summary>
    public static Dictionary<string, string> ParseMembers(string? text)
    {
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int at = line.LastIndexOf('=');
            if (at > 0)
            {
                members[line[..at]] = line[(at + 1)..];
            }
        }

        return members;
    }

    /// <summary>The schedules a policy has: its backup, and its drill when it declares one.</summary>
    public static IEnumerable<(RunKind Kind, PolicySchedule Schedule)> Schedules(Policy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        yield return (RunKind.Backup, policy.Schedule);
        if (policy.Drill is not null)
        {
            yield return (RunKind.Drill, policy.Drill.Schedule);
        }
    }

    /// <exception cref="FormatException">Quartz rejects the cron (e.g. it never fires).</exception>
    /// <exception cref="TimeZoneNotFoundException">The time zone is unknown on this host.</exception>
    public static ITrigger Build(RunKind kind, PolicySchedule schedule, string? calendarName, DateTimeOffset? startAt = null, string? members = null)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone);
        var cron = new CronExpression(schedule.Cron, zone);
        var builder = TriggerBuilder.Create(TimeProvider.System)
            .WithIdentity(Key(kind, schedule))
            .ForJob(FireJob)
            .UsingJobData(KindKey, kind.ToString())
            .WithSchedule(CronScheduleBuilder.Create(cron).InTimeZone(zone).WithMisfireInstruction(CronTriggerMisfireInstruction.DoNothing));
        if (startAt is { } start)
        {
            builder = builder.StartAt(start);
        }

        if (calendarName is not null)
        {
            builder = builder.WithCalendarName(calendarName);
        }

        if (members is not null)
        {
            builder = builder.UsingJobData(MembersKey, members);
        }

        return builder.Build();
    }

    /// <summary>A calendar excluding every blackout window (daily, in the schedule's zone), or null when there is none.</summary>
    public static ICalendar? BlackoutCalendar(PolicySchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone);
        ICalendar? calendar = null;
        foreach (var window in schedule.Blackouts)
        {
            // DailyCalendar's range is inclusive at both ends; a window's end is exclusive, so the
            // range stops a millisecond before it. A window across midnight is the inverse of the
            // allowed range between its end and its start.
            var daily = window.WrapsMidnight
                ? new DailyCalendar(window.To, window.From.Add(TimeSpan.FromMilliseconds(-1)), calendar) { InvertTimeRange = true }
                : new DailyCalendar(window.From, window.To.Add(TimeSpan.FromMilliseconds(-1)), calendar);
            daily.TimeZone = zone;
            calendar = daily;
        }

        return calendar;
    }
}
