namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>
/// Recent failures and a moving-average latency of one read source. Failures older than the
/// penalty window are forgotten, so a source that recovers is preferred again.
/// </summary>
internal sealed class SourceHealth
{
    // A new sample weighs 30%: quick to notice a slow source, not flipped by one outlier.
    private const double Smoothing = 0.3;
    private const int MaxRememberedFailures = 64;

    private readonly object _gate = new();
    private readonly Queue<DateTimeOffset> _failures = new();
    private double? _latencyMs;

    public SourceHealth(IObjectStore store, int index)
    {
        Store = store;
        Index = index;
    }

    public IObjectStore Store { get; }

    /// <summary>Position in the configured order; breaks ties so the primary is preferred.</summary>
    public int Index { get; }

    public void Succeeded(TimeSpan elapsed)
    {
        lock (_gate)
        {
            var ms = elapsed.TotalMilliseconds;
            _latencyMs = _latencyMs is { } previous ? previous + (Smoothing * (ms - previous)) : ms;
        }
    }

    public void Failed(DateTimeOffset now)
    {
        lock (_gate)
        {
            _failures.Enqueue(now);
            if (_failures.Count > MaxRememberedFailures)
            {
                _failures.Dequeue();
            }
        }
    }

    public FallbackSourceStatus Status(DateTimeOffset now, TimeSpan window)
    {
        lock (_gate)
        {
            while (_failures.Count > 0 && now - _failures.Peek() > window)
            {
                _failures.Dequeue();
            }

            return new FallbackSourceStatus(Store.Description, _failures.Count,
                _latencyMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null);
        }
    }
}
