namespace DrOrchestrator.Core.Storage.Decorators;

/// <summary>
/// How <see cref="HedgingObjectStore"/> hedges a cloud target's requests (<c>Targets:&lt;name&gt;:Hedging</c>):
/// a request that has made no progress for longer than its threshold — <see cref="LatencyMultiplier"/>
/// × the p95 of that kind of request's recent waits, at least <see cref="MinDelay"/> — gets a second
/// attempt (and a third when the second waits as long), and the first to answer wins (docs/decisions.md §64).
/// </summary>
public sealed class HedgingOptions
{
    /// <summary>Hedge at all (default true; local targets are never hedged).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The shortest wait before a hedge, whatever the recent latency: below it a hedge would mostly race healthy requests.</summary>
    public TimeSpan MinDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>A request is hedged once it waits this many times the p95 of its kind's recent waits.</summary>
    public double LatencyMultiplier { get; set; } = 4;

    /// <summary>
    /// Hedges earn this much per request (0.1: at most one hedge per ten requests in the long run),
    /// so a slow-but-healthy server is not sent every request twice.
    /// </summary>
    public double MaxFraction { get; set; } = 0.1;

    /// <summary>
    /// Hedge puts of write-once keys too (default true). A hedge is a second concurrent PUT of the
    /// same key, and a server that writes objects in place (s3rver) keeps what a cancelled attempt
    /// sent — a truncated pack (docs/decisions.md §64) — so a losing attempt is cancelled only once
    /// its body was sent whole, and after an attempt was cut mid-body anyway the object is put again,
    /// unhedged, and its size checked (§69). False sends every put once (stalled uploads then wait
    /// for <c>Timeouts:Request</c>).
    /// </summary>
    public bool Puts { get; set; } = true;

    /// <summary>Hedges running at once on this target, and the burst allowed before <see cref="MaxFraction"/> applies.</summary>
    public int MaxInFlight { get; set; } = 2;

    /// <summary>Problems, each naming the field and value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MinDelay < TimeSpan.FromMilliseconds(10) || MinDelay > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Hedging:MinDelay: must be between 00:00:00.01 and 00:10:00 (got {MinDelay}).");
        }

        if (!(LatencyMultiplier >= 1 && LatencyMultiplier <= 100))
        {
            errors.Add($"Hedging:LatencyMultiplier: must be between 1 and 100 (got {LatencyMultiplier}).");
        }

        if (!(MaxFraction > 0 && MaxFraction <= 1))
        {
            errors.Add($"Hedging:MaxFraction: must be above 0 and at most 1 (got {MaxFraction}).");
        }

        if (MaxInFlight is < 1 or > 64)
        {
            errors.Add($"Hedging:MaxInFlight: must be between 1 and 64 (got {MaxInFlight}).");
        }

        return errors;
    }
}
