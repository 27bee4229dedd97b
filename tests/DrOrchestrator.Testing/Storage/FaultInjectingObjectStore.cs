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
        if (NextFault(key) is { } fault)
        {
            await ConsumeAsync(content, PutBytesConsumedBeforeFailure, cancellationToken).ConfigureAwait(false);
            throw fault;
        }

        await inner.PutAsync(key, content, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        ThrowIfFault(key);
        var stream = await inner.GetAsync(key, range, cancellationToken).ConfigureAwait(false);
        bool corrupt;
        lock (_gate)
        {
            corrupt = CorruptAllReads || _corruptKeys.Contains(key);
        }

        return corrupt ? new CorruptingReadStream(stream) : stream;
    }

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken)
    {
        ThrowIfFault(key);
        return inner.StatAsync(key, cancellationToken);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        ThrowIfFault(key);
        return inner.DeleteAsync(key, cancellationToken);
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ThrowIfFault(key: null);
        await foreach (var item in inner.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    private void ThrowIfFault(string? key)
    {
        if (NextFault(key) is { } fault)
        {
            throw fault;
        }
    }

    private ObjectStoreException? NextFault(string? key)
    {
        lock (_gate)
        {
            var call = ++_callCount;
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
}
