using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Core.Storage.Decorators;

/// <summary>
/// Retries operations of an inner store that fail with a transient <see cref="ObjectStoreException"/>
/// (see README.md in this folder for what is and is not retried).
/// </summary>
/// <remarks>
/// Back-off: before retry n the delay is d = min(MaxDelay, InitialDelay·2^(n-1)), waited as
/// d/2 + random(0, d/2) ("equal jitter") so that many workers that failed together do not
/// retry together, while every wait still grows.
/// </remarks>
public sealed class RetryingObjectStore : IObjectStore
{
    private readonly IObjectStore _inner;
    private readonly RetryOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public RetryingObjectStore(IObjectStore inner, RetryOptions options, ILogger logger, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        _inner = inner;
        _options = options;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
    }

    public string Description => _inner.Description;

    public string Location => _inner.Location;

    /// <summary>The wrapped store; <see cref="ObjectStaging.Find"/> looks through to it (see why there).</summary>
    internal IObjectStore Inner => _inner;

    public ObjectStoreCapabilities Capabilities => _inner.Capabilities;

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.CanSeek)
        {
            var start = content.Position;
            await ExecuteAsync("Put", key, async ct =>
            {
                content.Position = start;
                await _inner.PutAsync(key, content, ct).ConfigureAwait(false);
                return true;
            }, canRetry: null, cancellationToken).ConfigureAwait(false);
            return;
        }

        var tracked = new ReadTrackingStream(content);
        await ExecuteAsync("Put", key, async ct =>
        {
            await _inner.PutAsync(key, tracked, ct).ConfigureAwait(false);
            return true;
        }, canRetry: () => !tracked.HasBeenRead, cancellationToken).ConfigureAwait(false);
    }

    public Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken) =>
        ExecuteAsync("Get", key, ct => _inner.GetAsync(key, range, ct), canRetry: null, cancellationToken);

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken) =>
        ExecuteAsync("Stat", key, ct => _inner.StatAsync(key, ct), canRetry: null, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        ExecuteAsync("Delete", key, async ct =>
        {
            await _inner.DeleteAsync(key, ct).ConfigureAwait(false);
            return true;
        }, canRetry: null, cancellationToken);

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // A listing that fails part-way is restarted from the beginning; keys already handed to
        // the caller are remembered so that the caller sees every key exactly once.
        var yielded = new HashSet<string>(StringComparer.Ordinal);
        var started = _time.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            var enumerator = _inner.ListAsync(prefix, cancellationToken).GetAsyncEnumerator(cancellationToken);
            TimeSpan? retryAfter = null;
            try
            {
                while (retryAfter is null)
                {
                    ObjectInfo? item = null;
                    try
                    {
                        if (await enumerator.MoveNextAsync().ConfigureAwait(false))
                        {
                            item = enumerator.Current;
                        }
                    }
                    catch (ObjectStoreException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested)
                    {
                        retryAfter = DelayOrGiveUp(ex, "List", prefix, attempt, started, canRetry: true);
                        if (retryAfter is null)
                        {
                            throw;
                        }
                    }

                    if (item is null && retryAfter is null)
                    {
                        yield break;
                    }

                    if (item is not null && yielded.Add(item.Key))
                    {
                        yield return item;
                    }
                }
            }
            finally
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }

            await Task.Delay(retryAfter.Value, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<T> ExecuteAsync<T>(
        string operation,
        string key,
        Func<CancellationToken, Task<T>> action,
        Func<bool>? canRetry,
        CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            TimeSpan? delay;
            try
            {
                return await action(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectStoreException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                delay = DelayOrGiveUp(ex, operation, key, attempt, started, canRetry?.Invoke() ?? true);
                if (delay is null)
                {
                    throw;
                }
            }

            await Task.Delay(delay.Value, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The delay before the next attempt, or null (after logging why) when the caller must rethrow.</summary>
    private TimeSpan? DelayOrGiveUp(ObjectStoreException ex, string operation, string? key, int attempt, long started, bool canRetry)
    {
        var elapsed = _time.GetElapsedTime(started);
        if (!canRetry)
        {
            Log.CannotRewind(_logger, ex, key ?? "", _inner.Description);
            return null;
        }

        var delay = NextDelay(attempt);
        if (attempt >= _options.MaxAttempts || elapsed + delay > _options.MaxElapsed)
        {
            Log.GivingUp(_logger, ex, operation, key, _inner.Description, attempt, (long)elapsed.TotalMilliseconds);
            return null;
        }

        Log.Retrying(_logger, ex, operation, key, _inner.Description, attempt, (long)delay.TotalMilliseconds);
        return delay;
    }

    private TimeSpan NextDelay(int attempt)
    {
        // Doubles in floating point so that large attempt numbers cannot overflow.
        var exponential = _options.InitialDelay.Ticks * Math.Pow(2, Math.Min(attempt - 1, 62));
        var ceiling = (long)Math.Min(_options.MaxDelay.Ticks, exponential);
        var half = ceiling / 2;
        return TimeSpan.FromTicks(half + Random.Shared.NextInt64(0, half + 1));
    }
}
