namespace DrOrchestrator.Core.Policies;

/// <summary>How fast a target delivered restored and verified data once: bytes over wall time.</summary>
public readonly record struct ThroughputSample(long Bytes, TimeSpan Duration, DateTimeOffset At);

/// <summary>
/// Predicts the RTO of a snapshot from the throughput a target showed in recent drills and
/// restores: size ÷ the median bytes per second of the newest samples. The median of a few recent
/// runs follows a target that got slower (a new link, a throttled bucket) within days while one
/// odd run (a cold cache, a busy host) cannot swing it.
/// </summary>
public static class RtoPredictor
{
    /// <summary>How many of the newest samples the median is taken over.</summary>
    public const int SampleCount = 5;

    /// <summary>Median bytes per second of the newest <see cref="SampleCount"/> usable samples; null when there is none.</summary>
    public static double? BytesPerSecond(IEnumerable<ThroughputSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var rates = samples
            .Where(s => s.Bytes > 0 && s.Duration > TimeSpan.Zero)
            .OrderByDescending(s => s.At)
            .Take(SampleCount)
            .Select(s => s.Bytes / s.Duration.TotalSeconds)
            .Order()
            .ToList();
        if (rates.Count == 0)
        {
            return null;
        }

        int middle = rates.Count / 2;
        return rates.Count % 2 == 1 ? rates[middle] : (rates[middle - 1] + rates[middle]) / 2;
    }

    /// <summary>The predicted wall time to restore and verify <paramref name="bytes"/>; null without samples.</summary>
    public static TimeSpan? Predict(long bytes, IEnumerable<ThroughputSample> samples)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        return BytesPerSecond(samples) is { } rate ? TimeSpan.FromSeconds(bytes / rate) : null;
    }
}
