namespace DrOrchestrator.Core.Policies;

/// <summary>
/// A recovery point as seen by one target: the moment the data reflects, and when the
/// snapshot holding it became complete (durable and visible) on that target.
/// </summary>
public readonly record struct CompletedRecoveryPoint(DateTimeOffset RecoveryPoint, DateTimeOffset CompletedAt);

/// <summary>
/// RPO math, pure. Exposure at time t = t − the newest recovery point whose snapshot was
/// complete on the target at t. A recovery point RP completed at C therefore keeps the
/// exposure within an objective R exactly during [C, RP + R]; compliance over a window is the
/// measure of the union of those intervals divided by the window length. A snapshot that
/// completes after RP + R never counts as compliant time, however fresh it looks later.
/// </summary>
public static class RpoCalculator
{
    /// <summary>The newest recovery point complete at <paramref name="now"/>, or null when none is.</summary>
    public static DateTimeOffset? NewestRecoveryPoint(IEnumerable<CompletedRecoveryPoint> points, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(points);
        DateTimeOffset? newest = null;
        foreach (var point in points)
        {
            if (point.CompletedAt <= now && (newest is null || point.RecoveryPoint > newest))
            {
                newest = point.RecoveryPoint;
            }
        }

        return newest;
    }

    /// <summary>now − newest complete recovery point; null when nothing is complete yet (unbounded exposure).</summary>
    public static TimeSpan? CurrentExposure(IEnumerable<CompletedRecoveryPoint> points, DateTimeOffset now)
    {
        var newest = NewestRecoveryPoint(points, now);
        return newest is null ? null : now - newest.Value;
    }

    /// <summary>Fraction (0..1) of [<paramref name="from"/>, <paramref name="to"/>) during which exposure ≤ <paramref name="rpo"/>.</summary>
    public static double Compliance(IEnumerable<CompletedRecoveryPoint> points, TimeSpan rpo, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(rpo, TimeSpan.Zero);
        if (to <= from)
        {
            throw new ArgumentException($"window end {to:O} must be after its start {from:O}", nameof(to));
        }

        var intervals = points
            .Select(p => (Start: Max(p.CompletedAt, from), End: Min(p.RecoveryPoint + rpo, to)))
            .Where(i => i.End > i.Start)
            .OrderBy(i => i.Start)
            .ToList();

        var covered = TimeSpan.Zero;
        DateTimeOffset? runStart = null;
        var runEnd = from;
        foreach (var (start, end) in intervals)
        {
            if (runStart is null || start > runEnd)
            {
                covered += runStart is null ? TimeSpan.Zero : runEnd - runStart.Value;
                runStart = start;
                runEnd = end;
            }
            else if (end > runEnd)
            {
                runEnd = end;
            }
        }

        covered += runStart is null ? TimeSpan.Zero : runEnd - runStart.Value;
        return covered / (to - from);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
