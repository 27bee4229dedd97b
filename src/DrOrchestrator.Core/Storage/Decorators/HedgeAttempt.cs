namespace DrOrchestrator.Core.Storage.Decorators;

/// <summary>
/// One attempt of a hedged request: its own cancellation (so the loser can be stopped alone), and
/// the time of its last progress (its start, or the last read of an upload's body).
/// </summary>
internal sealed class HedgeAttempt<T>
{
    private readonly CancellationTokenSource _cancellation;
    private readonly TimeProvider _time;
    private readonly long _started;
    private long _lastProgress;
    private long _longestWaitTicks;
    private int _tokenSourceTaken;

    private HedgeAttempt(CancellationToken cancellationToken, TimeProvider time)
    {
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _time = time;
        _started = time.GetTimestamp();
        _lastProgress = _started;
        Task = null!;
    }

    public Task<T> Task { get; private set; }

    public CancellationToken Token => _cancellation.Token;

    /// <summary>How long the attempt has gone without progress.</summary>
    public TimeSpan Idle => _time.GetElapsedTime(Interlocked.Read(ref _lastProgress));

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

    /// <summary>Starts <paramref name="run"/> on the thread pool, so an inner store that blocks before its first await cannot hold up the watch.</summary>
    public static HedgeAttempt<T> Start(Func<HedgeAttempt<T>, Task<T>> run, CancellationToken cancellationToken, TimeProvider time)
    {
        var attempt = new HedgeAttempt<T>(cancellationToken, time);
        attempt.Task = System.Threading.Tasks.Task.Run(() => run(attempt), CancellationToken.None);
        return attempt;
    }

    /// <summary>Records progress (an upload's body was read): the idle time starts again.</summary>
    public void Touch()
    {
        var now = _time.GetTimestamp();
        var previous = Interlocked.Exchange(ref _lastProgress, now);
        var gap = _time.GetElapsedTime(previous, now).Ticks;
        long longest;
        while (gap > (longest = Interlocked.Read(ref _longestWaitTicks))
            && Interlocked.CompareExchange(ref _longestWaitTicks, gap, longest) != longest)
        {
        }
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
