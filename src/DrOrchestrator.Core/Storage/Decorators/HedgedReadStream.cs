using System.Buffers;

namespace DrOrchestrator.Core.Storage.Decorators;

/// <summary>
/// A response body of a <see cref="HedgingObjectStore"/>. For a write-once key, a read that waits
/// longer than the body-read threshold races a second request for the rest of the range (from the
/// first byte not yet handed to the caller); the first to deliver bytes wins and the body continues
/// from the winner's connection. The second request reads into a buffer of its own, and the caller's
/// buffer is filled only after the other read has ended, so no byte is delivered twice or skipped.
/// Owns the response stream and the cancellation source of the request that opened it.
/// </summary>
internal sealed class HedgedReadStream : ForwardReadStream
{
    private readonly HedgingObjectStore _store;
    private readonly string _key;
    private readonly ByteRange? _range;
    private readonly bool _resumable;
    private Stream _current;
    private CancellationTokenSource _currentSource;
    private long _delivered;
    private bool _disposed;

    public HedgedReadStream(HedgingObjectStore store, string key, ByteRange? range, bool resumable, Stream body, CancellationTokenSource requestSource)
    {
        _store = store;
        _key = key;
        _range = range;
        _resumable = resumable;
        _current = body;
        _currentSource = requestSource;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_resumable || buffer.IsEmpty)
        {
            return await _current.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        var threshold = _store.Latencies.Threshold(WaitKind.BodyRead);
        var started = _store.Time.GetTimestamp();
        using var readSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var read = _current.ReadAsync(buffer, readSource.Token).AsTask();
        if (!read.IsCompleted)
        {
            using (var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                await Task.WhenAny(read, Task.Delay(threshold, _store.Time, timer.Token)).ConfigureAwait(false);
                await timer.CancelAsync().ConfigureAwait(false);
            }

            if (!read.IsCompleted && !cancellationToken.IsCancellationRequested && _store.Budget.TryStart())
            {
                return await RaceAsync(read, readSource, buffer, _store.Time.GetElapsedTime(started), threshold, cancellationToken).ConfigureAwait(false);
            }
        }

        var n = await read.ConfigureAwait(false);
        _store.Latencies.Record(WaitKind.BodyRead, _store.Time.GetElapsedTime(started));
        _delivered += n;
        return n;
    }

    public override int Read(Span<byte> buffer)
    {
        // Bodies are read asynchronously; a synchronous reader gets the same hedging through a rented buffer.
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var n = ReadAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            await _current.DisposeAsync().ConfigureAwait(false);
            _currentSource.Dispose();
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _current.Dispose();
            _currentSource.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task<int> RaceAsync(Task<int> read, CancellationTokenSource readSource, Memory<byte> buffer, TimeSpan waited, TimeSpan threshold, CancellationToken cancellationToken)
    {
        var offset = (_range?.Offset ?? 0) + _delivered;
        Log.HedgingRead(_store.Logger, _key, _store.Description, offset, (long)waited.TotalMilliseconds, (long)threshold.TotalMilliseconds);
        var hedgeSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        var hedge = Task.Run(() => ReadRestAsync(offset, rented.AsMemory(0, buffer.Length), hedgeSource.Token), CancellationToken.None);
        var hedgeWins = false;
        try
        {
            var done = await Task.WhenAny(read, hedge).ConfigureAwait(false);
            if (!done.IsCompletedSuccessfully)
            {
                await (ReferenceEquals(done, read) ? (Task)hedge : read).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            hedgeWins = ReferenceEquals(done, hedge) ? hedge.IsCompletedSuccessfully : !read.IsCompletedSuccessfully && hedge.IsCompletedSuccessfully;
            Log.ReadHedgeSettled(_store.Logger, _key, _store.Description, offset, hedgeWins ? "second" : "first");
            if (!hedgeWins)
            {
                // The first read delivered (or both failed: the first's error is the answer).
                var n = await read.ConfigureAwait(false);
                _delivered += n;
                return n;
            }

            // The first read must end before the caller's buffer is filled: it writes into it.
            await readSource.CancelAsync().ConfigureAwait(false);
            await ((Task)read).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var (stream, count) = await hedge.ConfigureAwait(false);
            rented.AsSpan(0, count).CopyTo(buffer.Span);
            await _current.DisposeAsync().ConfigureAwait(false);
            _currentSource.Dispose();
            _current = stream;
            _currentSource = hedgeSource;
            _delivered += count;
            return count;
        }
        finally
        {
            if (hedgeWins)
            {
                ArrayPool<byte>.Shared.Return(rented);
                _store.Budget.End();
            }
            else
            {
                // The second request lost (or failed): stop it, and free what it holds once it has ended.
                await hedgeSource.CancelAsync().ConfigureAwait(false);
                _ = SettleLoserAsync(hedge, hedgeSource, rented);
            }
        }
    }

    private async Task<(Stream Stream, int Count)> ReadRestAsync(long offset, Memory<byte> into, CancellationToken cancellationToken)
    {
        // A range past the end is clamped by every store, so the rest of a whole object is (offset, max).
        var rest = _range is { } range
            ? new ByteRange(offset, range.Length - _delivered)
            : new ByteRange(offset, long.MaxValue - offset);
        var stream = await _store.Inner.GetAsync(_key, rest, cancellationToken).ConfigureAwait(false);
        try
        {
            return (stream, await stream.ReadAsync(into, cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task SettleLoserAsync(Task<(Stream Stream, int Count)> hedge, CancellationTokenSource source, byte[] rented)
    {
        try
        {
            var (stream, _) = await hedge.ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The loser's failure (usually its cancellation) is nobody's answer.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
            source.Dispose();
            _store.Budget.End();
        }
    }
}
