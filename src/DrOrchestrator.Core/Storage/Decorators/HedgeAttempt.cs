namespace DrOrchestrator.Core.Storage.Decorators;

/// <summary>
/// One attempt of a hedged request: its own cancellation (so the loser can be stopped alone), and
/// the time of its last progress (its start, or the last read of an upload's body).
/// </summary>
/// <remarks>
/// An upload's clock starts at the first read of its body, not at its start, and again after each
/// rewind: before that read the attempt is queued for a pooled connection (or its body is being
/// checksummed locally), which a second request would wait for too — counting it would hedge a
/// busy pool and, as a sample, push the threshold past <c>Timeouts:Request</c> (docs/decisions.md §69).
/// </remarks>
internal sealed class HedgeAttempt<T>
{
    /// <summary>The last-progress mark of an upload whose body has not been read yet (in this pass).</summary>
    private const long NotStarted = long.MinValue;

    private const int BodyNotSent = 0;
    private const int BodySending = 1;
    private const int BodySent = 2;

    private readonly CancellationTokenSource _cancellation;
    private readonly TimeProvider _time;
    private readonly long _started;
    private long _lastProgress;
    private long _longestWaitTicks;
    private int _tokenSourceTaken;
    private int _body;
    private int _cancelledAfterBody;
    private int _cut;

    private HedgeAttempt(CancellationToken cancellationToken, TimeProvider time, bool uploads)
    {
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _time = time;
        _started = time.GetTimestamp();
        _lastProgress = uploads ? NotStarted : _started;
        Task = null!;
    }

    public Task<T> Task { get; private set; }

    public CancellationToken Token => _cancellation.Token;

    /// <summary>How long the attempt has gone without progress (zero while an upload's body has not been read yet).</summary>
    public TimeSpan Idle => Interlocked.Read(ref _lastProgress) is var last && last == NotStarted ? TimeSpan.Zero : _time.GetElapsedTime(last);

    /// <summary>
    /// True when the upload's body was handed to the inner store whole (its last pass read to the
    /// end) when the attempt ended or was cancelled by <see cref="CancelIfBodySent"/>: the server
    /// was sent every byte, so whatever it stored from this attempt is the whole object.
    /// </summary>
    public bool BodyWasSent => Volatile.Read(ref _cut) == 0 && (Volatile.Read(ref _cancelledAfterBody) == 1 || Volatile.Read(ref _body) == BodySent);

    public TimeSpan Elapsed => _time.GetElapsedTime(_started);

    /// <summary>The longest stretch without progress, counting the one still open.</summary>
    public TimeSpan LongestWait
    {
        get
        {
            var idle = Idle;
            var longest = TimeSpan.FromTicks(Interlocked.Read(ref _longestWaitTicks));
            return idle > longest ? idle : longest;
        }
    }

    /// <summary>
    /// Starts <paramref name="run"/> on the thread pool, so an inner store that blocks before its first await cannot hold up the watch.
    /// With <paramref name="uploads"/> the attempt's clock starts at the first read of its body (<see cref="Touch"/>).
    /// </summary>
    public static HedgeAttempt<T> Start(Func<HedgeAttempt<T>, Task<T>> run, CancellationToken cancellationToken, TimeProvider time, bool uploads = false)
    {
        var attempt = new HedgeAttempt<T>(cancellationToken, time, uploads);
        attempt.Task = System.Threading.Tasks.Task.Run(() => run(attempt), CancellationToken.None);
        return attempt;
    }

    /// <summary>
    /// Records progress (an upload's body was read; <paramref name="reachedEnd"/>: to its end): the
    /// idle time starts again. The wait before the first read of a pass is not a gap (see remarks).
    /// </summary>
    public void Touch(bool reachedEnd)
    {
        var now = _time.GetTimestamp();
        var previous = Interlocked.Exchange(ref _lastProgress, now);
        Volatile.Write(ref _body, reachedEnd ? BodySent : BodySending);
        if (previous == NotStarted)
        {
            return;
        }

        var gap = _time.GetElapsedTime(previous, now).Ticks;
        long longest;
        while (gap > (longest = Interlocked.Read(ref _longestWaitTicks))
            && Interlocked.CompareExchange(ref _longestWaitTicks, gap, longest) != longest)
        {
        }
    }

    /// <summary>The upload's body was moved back: a new pass starts (a checksum pass ended, or the SDK re-sends).</summary>
    public void Rewound()
    {
        Volatile.Write(ref _body, BodyNotSent);
        Interlocked.Exchange(ref _lastProgress, NotStarted);
    }

    /// <summary>Cancels the upload if its body has been sent whole (it only waits for its answer); false while any of it is still to be sent.</summary>
    public bool CancelIfBodySent()
    {
        if (Volatile.Read(ref _body) != BodySent)
        {
            return false;
        }

        Volatile.Write(ref _cancelledAfterBody, 1);
        Cancel();
        return true;
    }

    public bool CancellationRequested => _cancellation.IsCancellationRequested;

    /// <summary>Cancels the upload as cut: whatever its body's state, the object is put again afterwards (<see cref="BodyWasSent"/> is false).</summary>
    public void CancelAsCut()
    {
        Volatile.Write(ref _cut, 1);
        Cancel();
    }

    /// <summary>
    /// Hands the cancellation source to the attempt's result (a response stream whose reads may
    /// still be tied to it); whoever takes it disposes it.
    /// </summary>
    public CancellationTokenSource TakeTokenSource()
    {
        Interlocked.Exchange(ref _tokenSourceTaken, 1);
        return _cancellation;
    }

    public void Cancel()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Its result already owns (and disposed) the source: nothing is running to cancel.
        }
    }

    /// <summary>True when the attempt ended with something that answers the request: a result, or an error that another attempt would meet too.</summary>
    public bool Answered => Task.IsCompletedSuccessfully
        || (Task.IsFaulted && Task.Exception!.InnerException is not (ObjectStoreException { IsTransient: true } or OperationCanceledException));

    /// <summary>Waits for the attempt to end, throws nothing, disposes a result it produced with <paramref name="discard"/>, and releases its cancellation source.</summary>
    public async Task SettleAsync(Action<T>? discard)
    {
        try
        {
            var result = await Task.ConfigureAwait(false);
            discard?.Invoke(result);
        }
        catch (Exception)
        {
            // The loser's failure (usually its cancellation) is nobody's answer.
        }
        finally
        {
            ReleaseTokenSource();
        }
    }

    /// <summary>Disposes the cancellation source unless the result took it.</summary>
    public void ReleaseTokenSource()
    {
        if (Interlocked.CompareExchange(ref _tokenSourceTaken, 1, 0) == 0)
        {
            _cancellation.Dispose();
        }
    }
}
