using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>
/// A read-only view over several complete copies of one repository (primary, replicas, a whole
/// pool): each read goes to the healthiest source first and falls back to the next on error,
/// absence or — for whole packs — a SHA-256 mismatch against the pack's key.
/// </summary>
/// <remarks>
/// <para>Health: sources with fewer failures in the last <see cref="FailurePenalty"/> come first,
/// then the lower moving-average latency, then the configured order (primary first).</para>
/// <para>Whole-pack gets are spooled to a temp file while hashing, so the caller only ever sees
/// verified bytes; packs are never held in memory. Ranged gets and metadata gets are streamed
/// straight from the source and fall back on errors only — the engine verifies blobs itself and
/// reports a bad range with <see cref="ReportCorrupt"/> (that source then comes last for that
/// key) or excludes sources per call with the <see cref="GetAsync(string, ByteRange?, IReadOnlySet{string}?, CancellationToken)"/>
/// overload. Every passed-over copy is reported as a <see cref="ReadFallbackEvent"/>
/// ("&lt;store&gt;: &lt;key&gt;: &lt;reason&gt;") to the progress sink and the log.</para>
/// <para>A <see cref="PoolObjectStore"/> source is read member by member (placement first), so a
/// corrupt copy on one pool member is replaced by the copy on the next; events then name the
/// member's store. Listing and stat come from the healthiest source that answers, so each source
/// must be a complete repository (pass a pool as one source, not its members). Puts and deletes
/// throw <see cref="InvalidOperationException"/>: this is a read path.</para>
/// </remarks>
public sealed class FallbackObjectStore : IObjectStore, ICopyFallbackReader
{
    private readonly FallbackSources _sources;
    private readonly IProgress<ReadFallbackEvent>? _progress;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <param name="sources">Complete copies of the repository in preference order (primary first); descriptions must be unique.</param>
    /// <param name="progress">Receives every passed-over copy.</param>
    /// <param name="logger">Logs every passed-over copy as a warning.</param>
    /// <param name="timeProvider">Clock for latency and the failure window (tests).</param>
    public FallbackObjectStore(
        IEnumerable<IObjectStore> sources,
        IProgress<ReadFallbackEvent>? progress = null,
        ILogger<FallbackObjectStore>? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        _time = timeProvider ?? TimeProvider.System;
        _sources = new FallbackSources(sources, _time);
        _progress = progress;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        Description = $"fallback[{string.Join(',', _sources.Configured.Select(s => s.Store.Description))}]";
    }

    /// <summary>How long a failure keeps a source behind healthier ones. Default 5 minutes.</summary>
    public TimeSpan FailurePenalty
    {
        get => _sources.FailurePenalty;
        init => _sources.FailurePenalty = value;
    }

    public string Description { get; }

    public ObjectStoreCapabilities Capabilities => _sources.Configured[0].Store.Capabilities;

    /// <summary>The configured sources as currently rated, healthiest first.</summary>
    public IReadOnlyList<FallbackSourceStatus> Sources => [.. _sources.Rank().Select(r => r.Status)];

    public Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken) =>
        GetAsync(key, range, excludedStores: null, cancellationToken);

    /// <summary>
    /// Like <see cref="GetAsync(string, ByteRange?, CancellationToken)"/> but never reads from the
    /// stores whose descriptions are in <paramref name="excludedStores"/> (a source's, or a pool
    /// member's) — for a caller that found the bytes one copy returned bad and wants the same range
    /// from another copy.
    /// </summary>
    public async Task<Stream> GetAsync(string key, ByteRange? range, IReadOnlySet<string>? excludedStores, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var verify = range is null && RepositoryKeys.TryGetPackHash(key, out var expected) ? expected : null;
        var events = new List<(ReadFallbackEvent Event, Exception? Error)>();
        var failedSources = new HashSet<SourceHealth>();
        foreach (var candidate in _sources.ReadOrder(key, excludedStores))
        {
            var started = _time.GetTimestamp();
            try
            {
                var stream = await OpenAsync(candidate, key, range, verify, events, cancellationToken).ConfigureAwait(false);
                if (stream is not null)
                {
                    candidate.Source.Succeeded(_time.GetElapsedTime(started));
                    failedSources.Remove(candidate.Source);
                    PenalizeSources(failedSources);
                    return stream;
                }
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                events.Add((Failed(candidate.Copy, key, ex), ex));
            }

            // A plain source was already charged for its failure; a pool only when no member serves.
            if (candidate.Source != candidate.Copy && events[^1].Event.Reason != ReadFallbackReason.NotFound)
            {
                failedSources.Add(candidate.Source);
            }
        }

        PenalizeSources(failedSources);
        throw NoGoodCopy(key, events);
    }

    /// <inheritdoc/>
    /// <remarks>Copies are tried in the same order as for <see cref="GetAsync(string, ByteRange?, CancellationToken)"/>, pool members included.</remarks>
    public async Task<T> ReadFirstGoodCopyAsync<T>(string key, Func<byte[], T> decode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(decode);
        var events = new List<(ReadFallbackEvent Event, Exception? Error)>();
        var failedSources = new HashSet<SourceHealth>();
        Exception? firstRejection = null;
        foreach (var candidate in _sources.ReadOrder(key, excluded: null))
        {
            var started = _time.GetTimestamp();
            byte[] bytes;
            try
            {
                bytes = await ReadWholeAsync(candidate.Copy.Store, key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                events.Add((Failed(candidate.Copy, key, ex), ex));
                if (candidate.Source != candidate.Copy && ex is not ObjectNotFoundException)
                {
                    failedSources.Add(candidate.Source);
                }

                continue;
            }

            try
            {
                var value = decode(bytes);
                candidate.Source.Succeeded(_time.GetElapsedTime(started));
                failedSources.Remove(candidate.Source);
                PenalizeSources(failedSources);
                return value;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                firstRejection ??= ex;
                _sources.MarkCorrupt(candidate.Copy, key);
                events.Add((Report(candidate.Copy, key, ReadFallbackReason.BadContent, $"bad content: {Detail(candidate.Copy, key, ex)}"), null));
            }
        }

        PenalizeSources(failedSources);
        if (firstRejection is not null && events.All(e => e.Error is null or ObjectNotFoundException))
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(firstRejection);
        }

        throw NoGoodCopy(key, events);
    }

    /// <summary>
    /// Records that bytes of <paramref name="key"/> read from the store described by
    /// <paramref name="storeDescription"/> (a source or a member of a pool source) were corrupt:
    /// that copy is tried last for this key from now on, counts a failure, and the report is
    /// published like any other bad copy.
    /// </summary>
    public void ReportCorrupt(string storeDescription, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var copy = _sources.Find(storeDescription)
            ?? throw new ArgumentException($"'{storeDescription}' is not a source of {Description}", nameof(storeDescription));
        _sources.MarkCorrupt(copy, key);
        Report(copy, key, ReadFallbackReason.ReportedCorrupt, "reported corrupt by the reader");
    }

    public async Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var events = new List<(ReadFallbackEvent Event, Exception? Error)>();
        foreach (var (source, _) in _sources.Rank())
        {
            try
            {
                var info = await source.Store.StatAsync(key, cancellationToken).ConfigureAwait(false);
                if (info is not null)
                {
                    return info;
                }
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                events.Add((Failed(source, key, ex), ex));
            }
        }

        return events.Count == 0 ? null : throw NoGoodCopy(key, events);
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var errors = new List<Exception>();
        foreach (var (source, _) in _sources.Rank())
        {
            var complete = true;
            void Failed(ObjectStoreException ex)
            {
                complete = false;
                source.Failed(_time.GetUtcNow());
                errors.Add(ex);
            }

            // A source that fails part-way is finished by the next one; seen keys are not repeated.
            await foreach (var item in StoreFanOut.ListUntilFailureAsync(source.Store, prefix, Failed, cancellationToken).ConfigureAwait(false))
            {
                if (seen.Add(item.Key))
                {
                    yield return item;
                }
            }

            if (complete)
            {
                yield break;
            }
        }

        throw new ObjectStoreException(Description, null,
            $"no source could list '{prefix}': {string.Join("; ", errors.Select(e => e.Message))}", StoreFanOut.AllTransient(errors));
    }

    public Task PutAsync(string key, Stream content, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"{Description} is a read-only view: write to the targets themselves, not to '{key}' here");

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"{Description} is a read-only view: delete from the targets themselves, not '{key}' here");

    /// <summary>
    /// Opens one copy: straight from the store, or for a whole pack through a verified temp file.
    /// Returns null (after reporting) when the pack's bytes do not match its key.
    /// </summary>
    private async Task<Stream?> OpenAsync(
        ReadCandidate candidate, string key, ByteRange? range, byte[]? verify,
        List<(ReadFallbackEvent Event, Exception? Error)> events, CancellationToken cancellationToken)
    {
        if (verify is null)
        {
            return await candidate.Copy.Store.GetAsync(key, range, cancellationToken).ConfigureAwait(false);
        }

        var download = await TempSpool.DownloadAsync(candidate.Copy.Store, key, verify, cancellationToken).ConfigureAwait(false);
        if (download.Content is not null)
        {
            return download.Content;
        }

        _sources.MarkCorrupt(candidate.Copy, key);
        events.Add((Report(candidate.Copy, key, ReadFallbackReason.ChecksumMismatch, download.Mismatch!), null));
        return null;
    }

    /// <summary>A source none of whose copies could be read (other than "not found") drops behind the others.</summary>
    private void PenalizeSources(HashSet<SourceHealth> failed)
    {
        var now = _time.GetUtcNow();
        foreach (var source in failed)
        {
            source.Failed(now);
        }
    }

    private ReadFallbackEvent Failed(SourceHealth source, string key, Exception error)
    {
        if (error is ObjectNotFoundException)
        {
            return Report(source, key, ReadFallbackReason.NotFound, "object not found");
        }

        source.Failed(_time.GetUtcNow());
        return Report(source, key, ReadFallbackReason.Error, Detail(source, key, error));
    }

    /// <summary>The error's message without the "store: key: " it would repeat.</summary>
    private string Detail(SourceHealth source, string key, Exception error)
    {
        foreach (var prefix in new[] { $"{source.Store.Description}: {key}: ", $"{Description}: {key}: " })
        {
            if (error.Message.StartsWith(prefix, StringComparison.Ordinal))
            {
                return error.Message[prefix.Length..];
            }
        }

        return error.Message;
    }

    private static async Task<byte[]> ReadWholeAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        var stream = await store.GetAsync(key, null, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return buffer.ToArray();
        }
    }

    private ReadFallbackEvent Report(SourceHealth source, string key, ReadFallbackReason reason, string detail)
    {
        var report = new ReadFallbackEvent(source.Store.Description, key, reason, detail);
        Log.FallbackBadCopy(_logger, report.Store, key, detail);
        _progress?.Report(report);
        return report;
    }

    private ObjectStoreException NoGoodCopy(string key, List<(ReadFallbackEvent Event, Exception? Error)> events)
    {
        if (events.Count > 0 && events.All(e => e.Error is ObjectNotFoundException))
        {
            return new ObjectNotFoundException(Description, key);
        }

        var message = events.Count == 0
            ? "every source was excluded"
            : $"no good copy: {string.Join("; ", events.Select(e => e.Event.ToString()))}";
        var transient = events.Any(e => e.Error is ObjectStoreException { IsTransient: true } or TimeoutException);
        return new ObjectStoreException(Description, key, message, transient);
    }
}
