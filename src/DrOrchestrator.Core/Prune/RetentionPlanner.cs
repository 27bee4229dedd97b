using System.Globalization;
using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Core.Prune;

/// <summary>One snapshot as retention sees it: its id and the time its run started.</summary>
public sealed record RetentionCandidate(string Id, DateTimeOffset Time);

/// <summary>
/// What retention decided for one snapshot: kept by the rules named in <see cref="KeptBy"/>
/// (e.g. "last 1/3", "daily 2026-03-29"), or removed when that list is empty.
/// </summary>
public sealed record RetentionDecision(string Id, DateTimeOffset Time, IReadOnlyList<string> KeptBy)
{
    public bool Keep => KeptBy.Count > 0;
}

/// <summary>
/// restic's "forget" rules over one policy's snapshots on one target, evaluated in the policy's
/// time zone: <c>keepLast</c> keeps the N newest; <c>keepDaily/Weekly/Monthly/Yearly</c> keep the
/// newest snapshot of each of the N most recent days / ISO weeks / months / years that have a
/// snapshot. Periods are calendar periods of the zone (a DST day of 23 or 25 hours is one day).
/// When every rule is 0 nothing is removed. Pure: the same input gives the same decisions, so
/// a prune killed half-way and run again removes the same snapshots (removing the ones that
/// were not kept never changes which are).
/// </summary>
public static class RetentionPlanner
{
    /// <summary>Decisions for every candidate, newest first.</summary>
    public static IReadOnlyList<RetentionDecision> Evaluate(IEnumerable<RetentionCandidate> snapshots, RetentionRules rules, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(zone);
        var newestFirst = snapshots.OrderByDescending(s => s.Time).ThenByDescending(s => s.Id, StringComparer.Ordinal).ToList();
        if (rules.KeepsEverything)
        {
            return [.. newestFirst.Select(s => new RetentionDecision(s.Id, s.Time, ["no retention rule set"]))];
        }

        var buckets = new List<Bucket>
        {
            new("daily", rules.KeepDaily, t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            new("weekly", rules.KeepWeekly, t => $"{ISOWeek.GetYear(t.DateTime):D4}-W{ISOWeek.GetWeekOfYear(t.DateTime):D2}"),
            new("monthly", rules.KeepMonthly, t => t.ToString("yyyy-MM", CultureInfo.InvariantCulture)),
            new("yearly", rules.KeepYearly, t => t.ToString("yyyy", CultureInfo.InvariantCulture)),
        };
        var decisions = new List<RetentionDecision>(newestFirst.Count);
        for (var i = 0; i < newestFirst.Count; i++)
        {
            var snapshot = newestFirst[i];
            var local = TimeZoneInfo.ConvertTime(snapshot.Time, zone);
            var reasons = new List<string>();
            if (i < rules.KeepLast)
            {
                reasons.Add($"last {i + 1}/{rules.KeepLast}");
            }

            foreach (var bucket in buckets)
            {
                if (bucket.Take(local) is { } period)
                {
                    reasons.Add($"{bucket.Name} {period}");
                }
            }

            decisions.Add(new RetentionDecision(snapshot.Id, snapshot.Time, reasons));
        }

        return decisions;
    }

    /// <summary>One period rule: the first (newest) snapshot of each new period is kept while the count lasts.</summary>
    private sealed class Bucket(string name, int count, Func<DateTimeOffset, string> period)
    {
        private int _left = count;
        private string? _last;

        public string Name => name;

        /// <summary>The period's label when this snapshot is the newest of a period the rule still keeps; else null.</summary>
        public string? Take(DateTimeOffset local)
        {
            if (_left <= 0)
            {
                return null;
            }

            var label = period(local);
            if (label == _last)
            {
                return null;
            }

            _last = label;
            _left--;
            return label;
        }
    }
}
