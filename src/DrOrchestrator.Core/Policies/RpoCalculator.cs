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
        var covered = TimeSpan.Zero;
        foreach (var (start, end) in CompliantRuns(points, rpo, from, to))
        {
            covered += end - start;
        }

        return covered / (to - from);
    }

    /// <summary>
    /// The breaches within [<paramref name="from"/>, <paramref name="to"/>): the maximal intervals
    /// during which exposure exceeded <paramref name="rpo"/> (or nothing was complete yet), oldest
    /// first, each with the worst exposure reached inside it. A breach still open at
    /// <paramref name="to"/> has a null <see cref="RpoBreach.End"/>; one already open at
    /// <paramref name="from"/> starts there (the window clips it).
    /// </summary>
    public static IReadOnlyList<RpoBreach> Breaches(IEnumerable<CompletedRecoveryPoint> points, TimeSpan rpo, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(points);
        var list = points as IReadOnlyCollection<CompletedRecoveryPoint> ?? [.. points];
        var breaches = new List<RpoBreach>();
        var gapStart = from;
        foreach (var (start, end) in CompliantRuns(list, rpo, from, to).Append((to, to)))
        {
            if (start > gapStart)
            {
                breaches.Add(new RpoBreach(gapStart, start >= to ? null : start, WorstExposure(list, gapStart, start)));
            }

            gapStart = end > gapStart ? end : gapStart;
        }

        return breaches;
    }

    /// <summary>
    /// Exposure over [<paramref name="from"/>, <paramref name="to"/>] as the vertices of its
    /// saw-tooth (it rises linearly and drops when a recovery point completes): the window ends
    /// and, at every completion inside it, the value just before and just after the drop. A null
    /// exposure means nothing was complete yet. Drawing straight lines between the vertices is exact.
    /// </summary>
    public static IReadOnlyList<ExposureSample> ExposureProfile(IEnumerable<CompletedRecoveryPoint> points, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(points);
        var list = points as IReadOnlyCollection<CompletedRecoveryPoint> ?? [.. points];
        var samples = new List<ExposureSample> { new(from, CurrentExposure(list, from)) };
        foreach (var completion in list.Select(p => p.CompletedAt).Where(c => c > from && c < to).Distinct().Order())
        {
            samples.Add(new ExposureSample(completion, ExposureJustBefore(list, completion)));
            samples.Add(new ExposureSample(completion, CurrentExposure(list, completion)));
        }

        samples.Add(new ExposureSample(to, CurrentExposure(list, to)));
        return samples;
    }

    /// <summary>Merged intervals within the window during which exposure ≤ rpo, oldest first.</summary>
    private static List<(DateTimeOffset Start, DateTimeOffset End)> CompliantRuns(IEnumerable<CompletedRecoveryPoint> points, TimeSpan rpo, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(rpo, TimeSpan.Zero);
        if (to <= from)
        {
            throw new ArgumentException($"window end {to:O} must be after its start {from:O}", nameof(to));
        }

        var intervals = points
            .Select(p => (Start: Max(p.CompletedAt, from), End: Min(p.RecoveryPoint + rpo, to)))
            .Where(i => i.End > i.Start)
            .OrderBy(i => i.Start);
        var runs = new List<(DateTimeOffset Start, DateTimeOffset End)>();
        foreach (var (start, end) in intervals)
        {
            if (runs.Count == 0 || start > runs[^1].End)
            {
                runs.Add((start, end));
            }
            else if (end > runs[^1].End)
            {
                runs[^1] = (runs[^1].Start, end);
            }
        }

        return runs;
    }

    /// <summary>
    /// Exposure only rises between completions, so its maximum over (start, end] is the value just
    /// before a completion inside it or just before the end; null when, at one of those instants,
    /// nothing was complete yet (unbounded).
    /// </summary>
    private static TimeSpan? WorstExposure(IReadOnlyCollection<CompletedRecoveryPoint> points, DateTimeOffset start, DateTimeOffset end)
    {
        TimeSpan? worst = TimeSpan.Zero;
        foreach (var instant in points.Select(p => p.CompletedAt).Where(c => c > start && c < end).Append(end))
        {
            var exposure = ExposureJustBefore(points, instant);
            if (exposure is null)
            {
                return null;
            }

            worst = exposure > worst ? exposure : worst;
        }

        return worst;
    }

    private static TimeSpan? ExposureJustBefore(IEnumerable<CompletedRecoveryPoint> points, DateTimeOffset instant)
    {
        DateTimeOffset? newest = null;
        foreach (var point in points)
        {
            if (point.CompletedAt < instant && (newest is null || point.RecoveryPoint > newest))
            {
                newest = point.RecoveryPoint;
            }
        }

        return newest is null ? null : instant - newest.Value;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}

/// <summary>
/// An interval during which RPO exposure exceeded the objective. <see cref="End"/> is null while
/// the breach is still open; <see cref="WorstExposure"/> is null when nothing was complete at some
/// moment inside it (exposure unbounded).
/// </summary>
public sealed record RpoBreach(DateTimeOffset Start, DateTimeOffset? End, TimeSpan? WorstExposure);

/// <summary>Exposure at one instant; null = no complete recovery point yet.</summary>
public readonly record struct ExposureSample(DateTimeOffset At, TimeSpan? Exposure);
