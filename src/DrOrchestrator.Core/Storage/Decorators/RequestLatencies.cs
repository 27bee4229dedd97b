namespace DrOrchestrator.Core.Storage.Decorators;

/// <summary>What a hedged request waits for; each kind has its own recent latencies.</summary>
internal enum WaitKind
{
    /// <summary>A stat, a get's headers, a listing's next page: the server's answer to a request without a body.</summary>
    Answer,

    /// <summary>An upload's longest wait without progress: between reads of its body, and for the answer after the last one.</summary>
    Upload,

    /// <summary>One read of a response body.</summary>
    BodyRead,
}

/// <summary>
/// The recent waits of one target per <see cref="WaitKind"/> (the last <see cref="Window"/> of each),
/// and the hedging threshold derived from them: max(MinDelay, LatencyMultiplier × p95). Thread-safe.
/// </summary>
internal sealed class RequestLatencies(HedgingOptions options)
{
    /// <summary>Samples kept per kind: enough for a stable p95, few enough to follow a server that slows down within a run.</summary>
    public const int Window = 128;

    /// <summary>Below this many samples a kind borrows every kind's samples (uploads do not), and with fewer than that in all, <see cref="ColdThreshold"/> applies.</summary>
    public const int MinSamples = 5;

    /// <summary>
    /// The threshold before anything was measured (a store's first requests): a new connection's
    /// TLS handshake to a distant region takes a few hundred milliseconds and must not be hedged.
    /// </summary>
    public static readonly TimeSpan ColdThreshold = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly double[][] _samples = [new double[Window], new double[Window], new double[Window]];
    private readonly int[] _counts = new int[3];

    public void Record(WaitKind kind, TimeSpan wait)
    {
        lock (_gate)
        {
            var i = (int)kind;
            _samples[i][_counts[i] % Window] = wait.TotalMilliseconds;
            _counts[i]++;
        }
    }

    public TimeSpan Threshold(WaitKind kind)
    {
        double[] recent;
        lock (_gate)
        {
            var i = (int)kind;
            // An upload's wait after its last byte is the server storing the whole body — 8 MiB
            // packs, a dozen at once — so it does not borrow the waits of bodiless answers: with
            // them (~100 ms on loopback) the first packs of a backup were hedged at 0.4 s while
            // healthy, spent the budget, and the stalled one after them waited Timeouts:Request (§69).
            recent = _counts[i] >= MinSamples || kind == WaitKind.Upload
                ? _samples[i][..Math.Min(_counts[i], Window)]
                : [.. Enumerable.Range(0, 3).SelectMany(k => _samples[k].Take(Math.Min(_counts[k], Window)))];
        }

        if (recent.Length < MinSamples)
        {
            return ColdThreshold > options.MinDelay ? ColdThreshold : options.MinDelay;
        }

        Array.Sort(recent);
        var p95 = recent[Math.Min(recent.Length - 1, (int)Math.Ceiling(0.95 * recent.Length) - 1)];
        var derived = TimeSpan.FromMilliseconds(p95 * options.LatencyMultiplier);
        return derived > options.MinDelay ? derived : options.MinDelay;
    }
}

/// <summary>
/// How many hedges a target may start: each request earns <see cref="HedgingOptions.MaxFraction"/> of
/// one (up to <see cref="HedgingOptions.MaxInFlight"/> saved), a hedge spends one, and no more than
/// MaxInFlight run at once — so over a run at most MaxInFlight + MaxFraction × requests are hedged
/// (a retry budget, as in Finagle and gRPC). Thread-safe.
/// </summary>
internal sealed class HedgeBudget(HedgingOptions options)
{
    private readonly Lock _gate = new();
    private double _tokens = options.MaxInFlight;
    private int _inFlight;
    private long _started;

    /// <summary>Hedges started so far.</summary>
    public long Started => Interlocked.Read(ref _started);

    public void OnRequest()
    {
        lock (_gate)
        {
            _tokens = Math.Min(options.MaxInFlight, _tokens + options.MaxFraction);
        }
    }

    public bool TryStart()
    {
        lock (_gate)
        {
            if (_inFlight >= options.MaxInFlight || _tokens < 1)
            {
                return false;
            }

            _tokens -= 1;
            _inFlight++;
            _started++;
            return true;
        }
    }

    /// <summary>Counts a hedge that another one paid for (the check after a hedged put): no token, no slot, no <see cref="End"/>.</summary>
    public bool StartPaidFor()
    {
        lock (_gate)
        {
            _started++;
        }

        return true;
    }

    public void End()
    {
        lock (_gate)
        {
            _inFlight--;
        }
    }
}
