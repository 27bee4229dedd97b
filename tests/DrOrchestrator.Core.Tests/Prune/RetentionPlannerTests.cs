using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Prune;

namespace DrOrchestrator.Core.Tests.Prune;

/// <summary>Retention decisions computed by hand (see each test's comment), across month, year and DST boundaries.</summary>
public sealed class RetentionPlannerTests
{
    private static RetentionCandidate At(string id, string utc) => new(id, DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture));

    private static Dictionary<string, IReadOnlyList<string>> Kept(IReadOnlyList<RetentionDecision> decisions) =>
        decisions.Where(d => d.Keep).ToDictionary(d => d.Id, d => d.KeptBy);

    [Fact]
    public void Last_daily_monthly_and_yearly_across_a_month_and_a_year_boundary()
    {
        // Newest first: g f e d c b a. last 2 → g, f. Daily 3 → g (02-01), e (01-31), d (01-01).
        // Monthly 2 → g (2026-02), e (2026-01). Yearly 2 → g (2026), c (2025, newest of 2025).
        IReadOnlyList<RetentionCandidate> snapshots =
        [
            At("a", "2025-12-30T10:00:00Z"), At("b", "2025-12-31T09:00:00Z"), At("c", "2025-12-31T22:00:00Z"),
            At("d", "2026-01-01T01:00:00Z"), At("e", "2026-01-31T23:00:00Z"), At("f", "2026-02-01T00:30:00Z"),
            At("g", "2026-02-01T12:00:00Z"),
        ];

        var decisions = RetentionPlanner.Evaluate(snapshots, new RetentionRules(2, 3, 0, 2, 2), TimeZoneInfo.Utc);

        Assert.Equal(["g", "f", "e", "d", "c", "b", "a"], decisions.Select(d => d.Id));
        var kept = Kept(decisions);
        Assert.Equal(["g", "f", "e", "d", "c"], kept.Keys);
        Assert.Equal(["last 1/2", "daily 2026-02-01", "monthly 2026-02", "yearly 2026"], kept["g"]);
        Assert.Equal(["last 2/2"], kept["f"]);
        Assert.Equal(["daily 2026-01-31", "monthly 2026-01"], kept["e"]);
        Assert.Equal(["daily 2026-01-01"], kept["d"]);
        Assert.Equal(["yearly 2025"], kept["c"]);
        Assert.Empty(decisions.Single(d => d.Id == "b").KeptBy);
    }

    [Fact]
    public void Daily_rule_counts_days_of_the_policy_time_zone_across_the_spring_dst_change()
    {
        // Europe/Berlin springs from UTC+1 to UTC+2 at 2026-03-29 01:00Z. Local days:
        // s1 22:30Z → 03-27 23:30; s2 23:30Z → 03-28 00:30; s3 03-28 22:30Z → 03-28 23:30;
        // s4 03-28 23:30Z → 03-29 00:30; s5 03-29 21:59Z → 03-29 23:59 (+2); s6 03-29 22:01Z → 03-30 00:01.
        // Daily 3, newest first: s6 (03-30), s5 (03-29), s3 (03-28). In UTC it would be s6, s4, s2.
        IReadOnlyList<RetentionCandidate> snapshots =
        [
            At("s1", "2026-03-27T22:30:00Z"), At("s2", "2026-03-27T23:30:00Z"), At("s3", "2026-03-28T22:30:00Z"),
            At("s4", "2026-03-28T23:30:00Z"), At("s5", "2026-03-29T21:59:00Z"), At("s6", "2026-03-29T22:01:00Z"),
        ];
        var rules = new RetentionRules(0, 3, 0, 0, 0);

        var berlin = Kept(RetentionPlanner.Evaluate(snapshots, rules, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")));
        var utc = Kept(RetentionPlanner.Evaluate(snapshots, rules, TimeZoneInfo.Utc));

        Assert.Equal(["s6", "s5", "s3"], berlin.Keys);
        Assert.Equal(["daily 2026-03-30"], berlin["s6"]);
        Assert.Equal(["daily 2026-03-29"], berlin["s5"]);
        Assert.Equal(["daily 2026-03-28"], berlin["s3"]);
        Assert.Equal(["s6", "s4", "s2"], utc.Keys);
    }

    [Fact]
    public void Weekly_rule_uses_iso_weeks_that_straddle_the_new_year()
    {
        // 2025-12-29 (Mon) and 2026-01-02 (Fri) are both in ISO week 2026-W01; 12-22 and 12-28 in 2025-W52.
        IReadOnlyList<RetentionCandidate> snapshots =
        [
            At("mon22", "2025-12-22T12:00:00Z"), At("sun28", "2025-12-28T12:00:00Z"),
            At("mon29", "2025-12-29T12:00:00Z"), At("fri02", "2026-01-02T12:00:00Z"),
        ];

        var kept = Kept(RetentionPlanner.Evaluate(snapshots, new RetentionRules(0, 0, 2, 0, 0), TimeZoneInfo.Utc));

        Assert.Equal(["fri02", "sun28"], kept.Keys);
        Assert.Equal(["weekly 2026-W01"], kept["fri02"]);
        Assert.Equal(["weekly 2025-W52"], kept["sun28"]);
    }

    [Fact]
    public void Monthly_rule_in_a_zone_behind_utc_puts_the_first_of_the_month_utc_in_the_previous_month()
    {
        // America/New_York (UTC-5 in winter): 2026-02-01T03:00Z is 2026-01-31 22:00 local.
        IReadOnlyList<RetentionCandidate> snapshots =
        [
            At("jan15", "2026-01-15T12:00:00Z"), At("feb01utc", "2026-02-01T03:00:00Z"), At("feb10", "2026-02-10T12:00:00Z"),
        ];

        var kept = Kept(RetentionPlanner.Evaluate(snapshots, new RetentionRules(0, 0, 0, 2, 0), TimeZoneInfo.FindSystemTimeZoneById("America/New_York")));

        Assert.Equal(["feb10", "feb01utc"], kept.Keys);
        Assert.Equal(["monthly 2026-01"], kept["feb01utc"]);
    }

    [Fact]
    public void No_rule_set_keeps_every_snapshot()
    {
        var decisions = RetentionPlanner.Evaluate([At("a", "2026-01-01T00:00:00Z"), At("b", "2020-01-01T00:00:00Z")], RetentionRules.KeepAll, TimeZoneInfo.Utc);

        Assert.All(decisions, d => Assert.True(d.Keep));
    }
}
