using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using Quartz;
using Quartz.Impl.Calendar;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>
/// Turns a policy's schedules into Quartz triggers: the cron evaluated in the policy's time zone
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

    public const string PolicyKey = "policy";
    public const string KindKey = "kind";

    /// <summary>The SHA-256 of the policy text a trigger was built from (a shared store already holding it needs no rebuild).</summary>
    public const string TextKey = "text-sha256";

    /// <summary>The trigger groups policy triggers live in, one per run kind.</summary>
    public static readonly string[] Groups = [Key("-", RunKind.Backup).Group, Key("-", RunKind.Drill).Group];

    public static TriggerKey Key(string policy, RunKind kind) => new(policy, kind.ToString().ToLowerInvariant());

    public static string CalendarName(string policy, RunKind kind) => $"blackout:{kind.ToString().ToLowerInvariant()}:{policy}";

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
    public static ITrigger Build(string policy, RunKind kind, PolicySchedule schedule, string? calendarName, DateTimeOffset? startAt = null, string? textSha256 = null)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone);
        var cron = new CronExpression(schedule.Cron, zone);
        var builder = TriggerBuilder.Create(TimeProvider.System)
            .WithIdentity(Key(policy, kind))
            .ForJob(FireJob)
            .UsingJobData(PolicyKey, policy)
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

        if (textSha256 is not null)
        {
            builder = builder.UsingJobData(TextKey, textSha256);
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
