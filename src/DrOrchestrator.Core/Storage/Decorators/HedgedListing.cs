namespace DrOrchestrator.Core.Storage.Decorators;

/// <summary>
/// A listing of a <see cref="HedgingObjectStore"/>: when the next item (a new page) is slower than
/// the answer threshold, a second listing starts from the beginning and races the first to an item
/// not yet yielded (or to the end); the winner's enumeration continues, the loser is cancelled and
/// disposed. Keys already handed to the caller are never handed out twice.
/// </summary>
internal sealed class HedgedListing : IAsyncDisposable
{
    private readonly HedgingObjectStore _store;
    private readonly string _prefix;
    private readonly CancellationToken _cancellation;
    private readonly HashSet<string> _yielded = new(StringComparer.Ordinal);
    private Enumeration _current;

    public HedgedListing(HedgingObjectStore store, string prefix, CancellationToken cancellationToken)
    {
        _store = store;
        _prefix = prefix;
        _cancellation = cancellationToken;
        _current = new Enumeration(store.Inner, prefix, cancellationToken);
        store.Budget.OnRequest();
    }

    /// <summary>The next key not yet yielded, or null at the end.</summary>
    public async Task<ObjectInfo?> NextAsync()
    {
        var threshold = _store.Latencies.Threshold(WaitKind.Answer);
        var started = _store.Time.GetTimestamp();
        var next = _current.NextNewAsync(_yielded);
        if (!next.IsCompleted)
        {
            using (var timer = CancellationTokenSource.CreateLinkedTokenSource(_cancellation))
            {
                await Task.WhenAny(next, Task.Delay(threshold, _store.Time, timer.Token)).ConfigureAwait(false);
                await timer.CancelAsync().ConfigureAwait(false);
            }

            if (next.IsCompleted)
            {
                // A page arrived: that is an answer's wait (items within a page arrive at once).
                _store.Latencies.Record(WaitKind.Answer, _store.Time.GetElapsedTime(started));
            }
            else if (!_cancellation.IsCancellationRequested && _store.Budget.TryStart())
            {
                next = RaceAsync(next, _store.Time.GetElapsedTime(started), threshold);
            }
        }

        var item = await next.ConfigureAwait(false);
        if (item is not null)
        {
            _yielded.Add(item.Key);
        }

        return item;
    }

    public ValueTask DisposeAsync() => _current.DisposeAsync();

    private async Task<ObjectInfo?> RaceAsync(Task<ObjectInfo?> first, TimeSpan waited, TimeSpan threshold)
    {
        Log.Hedging(_store.Logger, "List", _prefix, _store.Description, (long)waited.TotalMilliseconds, (long)threshold.TotalMilliseconds);
        var second = new Enumeration(_store.Inner, _prefix, _cancellation);
        // The second listing skips what the caller already has; it runs alone on its enumerator.
        var secondNext = second.NextNewAsync(new HashSet<string>(_yielded, StringComparer.Ordinal));
        var done = await Task.WhenAny(first, secondNext).ConfigureAwait(false);
        if (!done.IsCompletedSuccessfully)
        {
            await ((Task)(ReferenceEquals(done, first) ? secondNext : first)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        var secondWins = ReferenceEquals(done, secondNext) ? secondNext.IsCompletedSuccessfully : !first.IsCompletedSuccessfully && secondNext.IsCompletedSuccessfully;
        Log.HedgeSettled(_store.Logger, "List", _prefix, _store.Description, secondWins ? "second" : "first", (long)(waited + threshold).TotalMilliseconds);
        if (!secondWins)
        {
            _ = SettleAsync(second, secondNext);
            return await first.ConfigureAwait(false);
        }

        var loser = _current;
        _current = second;
        _ = SettleAsync(loser, first);
        return await secondNext.ConfigureAwait(false);
    }

    private async Task SettleAsync(Enumeration loser, Task pending)
    {
        try
        {
            loser.Cancel();
            await pending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await loser.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The loser's failure (usually its cancellation) is nobody's answer.
        }
        finally
        {
            _store.Budget.End();
        }
    }

    /// <summary>One enumeration of the inner store's listing with its own cancellation.</summary>
    private sealed class Enumeration : IAsyncDisposable
    {
        private readonly CancellationTokenSource _source;
        private readonly IAsyncEnumerator<ObjectInfo> _enumerator;

        public Enumeration(IObjectStore inner, string prefix, CancellationToken cancellationToken)
        {
            _source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _enumerator = inner.ListAsync(prefix, _source.Token).GetAsyncEnumerator(_source.Token);
        }

        /// <summary>The next item whose key is not in <paramref name="skip"/>, or null at the end.</summary>
        public async Task<ObjectInfo?> NextNewAsync(IReadOnlySet<string> skip)
        {
            while (await _enumerator.MoveNextAsync().ConfigureAwait(false))
            {
                if (!skip.Contains(_enumerator.Current.Key))
                {
                    return _enumerator.Current;
                }
            }

            return null;
        }

        public void Cancel() => _source.Cancel();

        public async ValueTask DisposeAsync()
        {
            await _enumerator.DisposeAsync().ConfigureAwait(false);
            _source.Dispose();
        }
    }
}
