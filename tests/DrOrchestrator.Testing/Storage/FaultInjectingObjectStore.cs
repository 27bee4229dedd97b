using System.Runtime.CompilerServices;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Testing;

/// <summary>
/// A test double that wraps a real store and injects failures, so that retry, fallback and
/// verification logic can be tested without breaking a real server. Thread-safe.
/// </summary>
/// <remarks>
/// Every operation (put, get, stat, list, delete) counts as one call, numbered from 1 in the order
/// the calls start. Injected failures are <see cref="ObjectStoreException"/>s whose message starts
/// with "injected". Corruption flips the low bit of the first byte read from an object.
/// </remarks>
public sealed class FaultInjectingObjectStore(IObjectStore inner) : IObjectStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, bool> _failingCalls = [];
    private readonly Dictionary<string, bool> _failingKeys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _corruptKeys = new(StringComparer.Ordinal);
    private readonly HashSet<int> _stallingCalls = [];
    private readonly Dictionary<string, long> _stallingBodies = new(StringComparer.Ordinal);
    private int _cancelledStalls;
    private int _openBodies;
    private int _callCount;
    private int _injectedFailures;
    private int _failNextCalls;
    private bool _failNextTransient = true;
    private volatile bool _outage;

    public string Description => inner.Description;

    public ObjectStoreCapabilities Capabilities => inner.Capabilities;

    /// <summary>Calls started so far.</summary>
    public int CallCount => Volatile.Read(ref _callCount);

    /// <summary>Calls that failed because of an injected fault (including outage).</summary>
    public int InjectedFailureCount => Volatile.Read(ref _injectedFailures);

    /// <summary>While true every call fails with a transient "injected outage" error.</summary>
    public bool Outage
    {
        get => _outage;
        set => _outage = value;
    }

    /// <summary>When a put fails by injection, first read this many bytes of its content (a failure mid-upload).</summary>
    public int PutBytesConsumedBeforeFailure { get; set; }

    /// <summary>Corrupt every object read (not only the keys given to <see cref="CorruptReadsOf"/>).</summary>
    public bool CorruptAllReads { get; set; }

    /// <summary>Stalled calls and bodies that ended because they were cancelled.</summary>
    public int CancelledStalls => Volatile.Read(ref _cancelledStalls);

    /// <summary>Response bodies handed out by <see cref="GetAsync"/> and not disposed yet.</summary>
    public int OpenBodies => Volatile.Read(ref _openBodies);

    /// <summary>Every call waits this long first (a slow but healthy server); cancellable.</summary>
    public TimeSpan CallDelay { get; set; }

    /// <summary>
    /// Stall the call with this 1-based number until it is cancelled: a get, stat, list or delete
    /// never answers; a put first reads its whole body (an answer withheld after the upload).
    /// </summary>
    public void StallCall(int callNumber)
    {
        lock (_gate)
        {
            _stallingCalls.Add(callNumber);
        }
    }

    /// <summary>The next get of <paramref name="key"/> returns a body that stalls, until its read is cancelled, after <paramref name="afterBytes"/> bytes.</summary>
    public void StallBodyOf(string key, long afterBytes)
    {
        lock (_gate)
        {
            _stallingBodies[key] = afterBytes;
        }
    }

    /// <summary>Fail the call with this 1-based number.</summary>
    public void FailCall(int callNumber, bool transient = true)
    {
        lock (_gate)
        {
            _failingCalls[callNumber] = transient;
        }
    }

    /// <summary>Fail the next <paramref name="count"/> calls.</summary>
    public void FailNextCalls(int count, bool transient = true)
    {
        lock (_gate)
        {
            _failNextCalls = count;
            _failNextTransient = transient;
        }
    }

    /// <summary>Fail every call naming <paramref name="key"/> until <see cref="Reset"/>.</summary>
    public void FailKey(string key, bool transient = false)
    {
        lock (_gate)
        {
            _failingKeys[key] = transient;
        }
    }

    /// <summary>Corrupt reads of <paramref name="key"/> until <see cref="Reset"/>.</summary>
    public void CorruptReadsOf(string key)
    {
        lock (_gate)
        {
            _corruptKeys.Add(key);
        }
    }

    /// <summary>Removes every injected fault (counters are kept).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _failingCalls.Clear();
            _failingKeys.Clear();
            _corruptKeys.Clear();
            _failNextCalls = 0;
            _outage = false;
            CorruptAllReads = false;
        }
    }

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (NextFault(key, out var stall) is { } fault)
        {
            await ConsumeAsync(content, PutBytesConsumedBeforeFailure, cancellationToken).ConfigureAwait(false);
            throw fault;
        }

        await DelayAsync(cancellationToken).ConfigureAwait(false);
        if (stall)
        {
            await ConsumeAsync(content, int.MaxValue, cancellationToken).ConfigureAwait(false);
            await StallAsync(cancellationToken).ConfigureAwait(false);
        }

        await inner.PutAsync(key, content, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        await ThrowIfFaultAsync(key, cancellationToken).ConfigureAwait(false);
        var stream = await inner.GetAsync(key, range, cancellationToken).ConfigureAwait(false);
        bool corrupt;
        long? stallAfter = null;
        lock (_gate)
        {
            corrupt = CorruptAllReads || _corruptKeys.Contains(key);
            if (_stallingBodies.Remove(key, out var after))
            {
                stallAfter = after;
            }
        }

        stream = corrupt ? new CorruptingReadStream(stream) : stream;
        Interlocked.Increment(ref _openBodies);
        return new TrackedBody(this, stream, stallAfter);
    }

    public async Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken)
    {
        await ThrowIfFaultAsync(key, cancellationToken).ConfigureAwait(false);
        return await inner.StatAsync(key, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        await ThrowIfFaultAsync(key, cancellationToken).ConfigureAwait(false);
        await inner.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await ThrowIfFaultAsync(key: null, cancellationToken).ConfigureAwait(false);
        await foreach (var item in inner.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    private async Task ThrowIfFaultAsync(string? key, CancellationToken cancellationToken)
    {
        if (NextFault(key, out var stall) is { } fault)
        {
            throw fault;
        }

        await DelayAsync(cancellationToken).ConfigureAwait(false);
        if (stall)
        {
            await StallAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DelayAsync(CancellationToken cancellationToken)
    {
        if (CallDelay > TimeSpan.Zero)
        {
            await Task.Delay(CallDelay, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until cancelled, then counts the stall as cancelled and throws.</summary>
    private async Task StallAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Increment(ref _cancelledStalls);
        }
    }

    private ObjectStoreException? NextFault(string? key, out bool stall)
    {
        lock (_gate)
        {
            var call = ++_callCount;
            stall = _stallingCalls.Remove(call);
            bool? transient = null;
            if (_outage)
            {
                transient = true;
            }
            else if (_failingCalls.TryGetValue(call, out var callTransient))
            {
                transient = callTransient;
            }
            else if (key is not null && _failingKeys.TryGetValue(key, out var keyTransient))
            {
                transient = keyTransient;
            }
            else if (_failNextCalls > 0)
            {
                _failNextCalls--;
                transient = _failNextTransient;
            }

            if (transient is null)
            {
                return null;
            }

            _injectedFailures++;
            var what = _outage ? "injected outage" : $"injected failure of call {call}";
            return new ObjectStoreException(inner.Description, key, what, transient.Value);
        }
    }

    private static async Task ConsumeAsync(Stream content, int bytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Min(Math.Max(bytes, 1), 81920)];
        var left = bytes;
        while (left > 0)
        {
            var read = await content.ReadAsync(buffer.AsMemory(0, Math.Min(left, buffer.Length)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }

            left -= read;
        }
    }

    /// <summary>A body handed out by <see cref="GetAsync"/>: counted until disposed, optionally stalling after some bytes.</summary>
    private sealed class TrackedBody(FaultInjectingObjectStore owner, Stream inner, long? stallAfter) : ForwardReadStream
    {
        private long _read;
        private int _disposed;

        public override int Read(Span<byte> buffer)
        {
            ThrowIfStalled();
            var n = inner.Read(Limit(buffer.Length) is var limit && limit < buffer.Length ? buffer[..limit] : buffer);
            _read += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (stallAfter is { } after && _read >= after)
            {
                await owner.StallAsync(cancellationToken).ConfigureAwait(false);
            }

            var n = await inner.ReadAsync(buffer[..Limit(buffer.Length)], cancellationToken).ConfigureAwait(false);
            _read += n;
            return n;
        }

        public override async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._openBodies);
                await inner.DisposeAsync().ConfigureAwait(false);
            }

            await base.DisposeAsync().ConfigureAwait(false);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._openBodies);
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        /// <summary>Reads stop exactly at the stall point, so the bytes before it are all delivered.</summary>
        private int Limit(int length) =>
            stallAfter is { } after && _read < after ? (int)Math.Min(length, after - _read) : length;

        private void ThrowIfStalled()
        {
            if (stallAfter is { } after && _read >= after)
            {
                throw new InvalidOperationException("a stalling body is read asynchronously in these tests");
            }
        }
    }
}
