using System.Runtime.CompilerServices;
using DrOrchestrator.Core.Storage.Composite;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Core.Storage.Decorators;

/// <summary>
/// Hedged requests for a cloud target: a request that waits longer than its threshold (see
/// <see cref="HedgingOptions"/>) gets a second attempt, on another connection of the client's pool,
/// and the first attempt to answer wins; the others are cancelled and whatever they produced disposed.
/// A hedge that is overdue in its turn gets one more (at most two per request).
/// A stalled response then costs about its threshold (a few hundred milliseconds on a healthy link)
/// instead of the target's <c>Timeouts:Request</c>, which stays the backstop (docs/decisions.md §64).
/// </summary>
/// <remarks>
/// What is hedged — only what may safely happen twice:
/// <list type="bullet">
/// <item>stat, a get's response headers, and each page of a listing (reads; a re-listing skips
/// the keys already yielded);</item>
/// <item>a get's body, for write-once keys (<see cref="RepositoryKeys.IsWriteOnce"/>): a read that
/// stalls is overtaken by a second request for the rest of the range, so the caller sees each
/// byte once and in order;</item>
/// <item>puts of write-once keys whose body can be read twice without copying it (a memory
/// buffer, or a file reopened by name: a pack's temp file), unless <see cref="HedgingOptions.Puts"/>
/// is off: all attempts write the same bytes under a key that never names other bytes. A losing
/// attempt is cancelled only once its whole body was sent (a server that writes in place keeps
/// what a cut attempt sent), one still sending is let finish, and after an attempt was cut
/// mid-body anyway the object is put again, unhedged; the size is checked (§69). The put returns
/// only once every attempt has ended, so the caller's stream is free.</item>
/// </list>
/// Not hedged: deletes, and puts of other keys (the config, deletion marks) — a late duplicate
/// could undo a newer write or delete. Hedges are budgeted (<see cref="HedgeBudget"/>) so a
/// slow-but-healthy server is not sent every request twice; the waits of requests that did not
/// need a hedge teach the thresholds (<see cref="RequestLatencies"/>).
/// </remarks>
public sealed class HedgingObjectStore : IObjectStore
{
    private readonly IObjectStore _inner;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly bool _hedgePuts;

    public HedgingObjectStore(IObjectStore inner, HedgingOptions options, ILogger logger, TimeProvider? timeProvider = null)
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
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        _hedgePuts = options.Puts;
        Latencies = new RequestLatencies(options);
        Budget = new HedgeBudget(options);
    }

    public string Description => _inner.Description;

    public string Location => _inner.Location;

    public ObjectStoreCapabilities Capabilities => _inner.Capabilities;

    /// <summary>Hedges (second and third attempts) sent so far (for tests and diagnostics).</summary>
    public long HedgesSent => Budget.Started;

    /// <summary>
    /// Hedges one request may send: a hedge can itself meet a stall (with independent stalls of
    /// one response in ten, one request in a hundred), and with a single hedge both attempts then
    /// wait for <c>Timeouts:Request</c>; a second hedge ends that wait too (docs/decisions.md §64).
    /// </summary>
    internal const int MaxHedgesPerRequest = 2;

    private static readonly string[] Ordinals = ["first", "second", "third"];

    internal IObjectStore Inner => _inner;

    internal RequestLatencies Latencies { get; }

    internal HedgeBudget Budget { get; }

    internal ILogger Logger => _logger;

    internal TimeProvider Time => _time;

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        // Only keys that never name other bytes, and bodies that can be read twice without a copy.
        var body = _hedgePuts && RepositoryKeys.IsWriteOnce(key) ? StreamFanOut.TryShare(content) : null;
        if (body is null)
        {
            await _inner.PutAsync(key, content, cancellationToken).ConfigureAwait(false);
            return;
        }

        await using (body.ConfigureAwait(false))
        {
            var attempts = new List<HedgeAttempt<bool>>(1 + MaxHedgesPerRequest);
            await HedgeAsync<bool>(WaitKind.Upload, "Put", key, async attempt =>
            {
                await body.ReadWithAsync(reader => _inner.PutAsync(key, new ProgressStream(reader, attempt.Touch, attempt.Rewound), attempt.Token)).ConfigureAwait(false);
                return true;
            }, discard: null, awaitLoser: true, cancellationToken, attempts).ConfigureAwait(false);
            await MakeWholeAsync(key, body, attempts, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        var resumable = RepositoryKeys.IsWriteOnce(key);
        return HedgeAsync<Stream>(WaitKind.Answer, "Get", key, async attempt =>
        {
            var stream = await _inner.GetAsync(key, range, attempt.Token).ConfigureAwait(false);
            return new HedgedReadStream(this, key, range, resumable, stream, attempt.TakeTokenSource());
        }, discard: s => s.Dispose(), awaitLoser: false, cancellationToken);
    }

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken) => StatAsync(key, paidFor: false, cancellationToken);

    /// <summary>
    /// A hedged stat; <paramref name="paidFor"/>: its hedges spend no budget and take no in-flight
    /// slot, for the check that follows a hedged put — the put's hedge paid for it, and right after
    /// that hedge spent the budget a stall of the check would otherwise wait for <c>Timeouts:Request</c>.
    /// </summary>
    private Task<ObjectInfo?> StatAsync(string key, bool paidFor, CancellationToken cancellationToken) =>
        HedgeAsync<ObjectInfo?>(WaitKind.Answer, "Stat", key, attempt => _inner.StatAsync(key, attempt.Token), discard: null, awaitLoser: false, cancellationToken, paidFor: paidFor);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => _inner.DeleteAsync(key, cancellationToken);

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var listing = new HedgedListing(this, prefix, cancellationToken);
        await using (listing.ConfigureAwait(false))
        {
            while (await listing.NextAsync().ConfigureAwait(false) is { } item)
            {
                yield return item;
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="run"/>; when it goes without progress for the kind's threshold and the
    /// budget allows, runs it again, and again when that hedge is overdue too (at most
    /// <see cref="MaxHedgesPerRequest"/> hedges), and returns the first answer. With
    /// <paramref name="awaitLoser"/> the losers have ended before this returns (they read the
    /// caller's stream); otherwise they are settled in the background.
    /// </summary>
    private async Task<T> HedgeAsync<T>(
        WaitKind kind,
        string operation,
        string key,
        Func<HedgeAttempt<T>, Task<T>> run,
        Action<T>? discard,
        bool awaitLoser,
        CancellationToken cancellationToken,
        List<HedgeAttempt<T>>? attempts = null,
        bool paidFor = false)
    {
        if (!paidFor)
        {
            Budget.OnRequest();
        }

        var threshold = Latencies.Threshold(kind);
        var uploads = kind == WaitKind.Upload;
        attempts ??= new List<HedgeAttempt<T>>(1 + MaxHedgesPerRequest);
        attempts.Add(HedgeAttempt<T>.Start(run, cancellationToken, _time, uploads));
        HedgeAttempt<T>? winner = null;
        try
        {
            // The newest attempt is watched: when it, too, goes a threshold without progress
            // while none has answered, one more is sent (a hedge can meet a stall of its own).
            while (attempts.Count <= MaxHedgesPerRequest
                && await OverdueAsync(attempts, threshold, cancellationToken).ConfigureAwait(false)
                && (paidFor ? Budget.StartPaidFor() : Budget.TryStart()))
            {
                Log.Hedging(_logger, operation, key, _inner.Description, (long)attempts[^1].Idle.TotalMilliseconds, (long)threshold.TotalMilliseconds);
                attempts.Add(HedgeAttempt<T>.Start(run, cancellationToken, _time, uploads));
            }

            var first = attempts[0];
            if (attempts.Count == 1)
            {
                winner = first;
                var result = await first.Task.ConfigureAwait(false);
                Latencies.Record(kind, uploads ? first.LongestWait : first.Elapsed);
                return result;
            }

            winner = await FirstAnswerAsync(attempts).ConfigureAwait(false);
            Log.HedgeSettled(_logger, operation, key, _inner.Description, Ordinals[attempts.IndexOf(winner)], (long)first.Elapsed.TotalMilliseconds);
            return await winner.Task.ConfigureAwait(false);
        }
        finally
        {
            // The race is decided (answered, failed or given up): its hedges leave the in-flight
            // count now, not once the losers have settled, so a loser still uploading (below) or
            // slow to observe its cancellation does not keep the next stalled request from a hedge.
            for (var i = 1; i < attempts.Count && !paidFor; i++)
            {
                Budget.End();
            }

            var answered = winner is not null && winner.Task.IsCompletedSuccessfully;
            var losers = attempts.Where(a => !(answered && ReferenceEquals(a, winner))).ToList();
            if (answered)
            {
                winner!.ReleaseTokenSource();
            }

            // A put's loser still sending its body is let finish (cancelled, a server that writes in
            // place keeps the part it got); any other loser is cancelled. Every loser is then settled.
            var settled = uploads && answered
                ? LetUploadsEndAndSettleAsync(losers, attempts.IndexOf(winner!), attempts, threshold, discard)
                : CancelAndSettleAsync(losers, discard);
            if (awaitLoser)
            {
                await settled.ConfigureAwait(false);
            }
        }
    }

    private static Task CancelAndSettleAsync<T>(List<HedgeAttempt<T>> losers, Action<T>? discard)
    {
        foreach (var loser in losers)
        {
            loser.Cancel();
        }

        return SettleAllAsync(losers, discard);
    }

    private static Task SettleAllAsync<T>(List<HedgeAttempt<T>> losers, Action<T>? discard) =>
        Task.WhenAll(losers.Select(l => l.SettleAsync(discard)));

    /// <summary>
    /// Waits for the losing uploads of an answered put to end. A loser sent before the winner is
    /// cancelled as soon as its body has been sent whole: the winner reached the server after it,
    /// so on a server that writes in place the winner's own truncation came later and it wrote every
    /// byte after it. A loser sent after the winner is let finish — it truncated the object the
    /// winner had written, and only its own whole body makes it whole again (bytes the SDK took may
    /// still be in a socket buffer that a cancellation drops). A loser still sending, or one sent
    /// after the winner and still unanswered, that goes <paramref name="threshold"/> without progress
    /// is cancelled as cut, and <see cref="MakeWholeAsync"/> puts the object again.
    /// </summary>
    private async Task LetUploadsEndAndSettleAsync<T>(List<HedgeAttempt<T>> losers, int winnerIndex, List<HedgeAttempt<T>> attempts, TimeSpan threshold, Action<T>? discard)
    {
        while (losers.Where(l => !l.Task.IsCompleted).ToList() is { Count: > 0 } running)
        {
            foreach (var loser in running.Where(l => !l.CancellationRequested))
            {
                var sentBeforeWinner = attempts.IndexOf(loser) < winnerIndex;
                if (!(sentBeforeWinner && loser.CancelIfBodySent()) && loser.Idle >= threshold)
                {
                    loser.CancelAsCut();
                }
            }

            await Task.WhenAny(running.Select(l => (Task)l.Task).Append(Task.Delay(LoserPoll, _time))).ConfigureAwait(false);
        }

        await SettleAllAsync(losers, discard).ConfigureAwait(false);
    }

    /// <summary>How often the losing uploads of an answered put are looked at (body sent? stalled?).</summary>
    private static readonly TimeSpan LoserPoll = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// After a hedged put answered, makes sure the object under <paramref name="key"/> is whole on a
    /// server that writes a PUT in place (s3rver; the S3 API promises nothing else of an
    /// S3-compatible server): an attempt that ended before sending its whole body may have left
    /// a prefix — or, had it started after another attempt began, a hole — where the
    /// size can even be right, so the object is put again, unhedged, whatever a stat says; an
    /// attempt cancelled after its body was sent left the whole object, which a stat of the size
    /// confirms. Either way a stat checks the size last; a mismatch after a re-put is a
    /// transient error (the retry puts it again), never a silent short object (docs/decisions.md §69).
    /// </summary>
    private async Task MakeWholeAsync(string key, StreamFanOut body, List<HedgeAttempt<bool>> attempts, CancellationToken cancellationToken)
    {
        var ended = attempts.Where(a => !a.Task.IsCompletedSuccessfully).ToList();
        if (ended.Count == 0)
        {
            return;
        }

        var cut = ended.Count(a => !a.BodyWasSent);
        var rePut = cut > 0;
        if (rePut)
        {
            Log.RePuttingAfterCut(_logger, key, _inner.Description, cut);
        }

        var expected = body.Length!.Value;
        while (true)
        {
            if (rePut)
            {
                await body.ReadWithAsync(reader => _inner.PutAsync(key, reader, cancellationToken)).ConfigureAwait(false);
            }

            var stored = await StatAsync(key, paidFor: true, cancellationToken).ConfigureAwait(false);
            if (stored?.Size == expected)
            {
                return;
            }

            var found = stored is null ? "missing" : $"{stored.Size} bytes";
            if (rePut)
            {
                throw new ObjectStoreException(_inner.Description, key, $"stored object is {found} after it was put again, not {expected} bytes", isTransient: true);
            }

            Log.RePuttingAfterCheck(_logger, key, _inner.Description, found, expected);
            rePut = true;
        }
    }

    /// <summary>
    /// Waits until an attempt answers, or the newest ends (false), or the newest has gone
    /// <paramref name="threshold"/> without progress while none answered (true).
    /// </summary>
    private async Task<bool> OverdueAsync<T>(List<HedgeAttempt<T>> attempts, TimeSpan threshold, CancellationToken cancellationToken)
    {
        var newest = attempts[^1];
        while (!newest.Task.IsCompleted && !attempts.Exists(a => a.Answered))
        {
            var wait = threshold - newest.Idle;
            if (wait <= TimeSpan.Zero)
            {
                return true;
            }

            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(wait, _time, timer.Token);
            // Only attempts still running wake the watch: one that failed already would spin it.
            var running = attempts.Where(a => !a.Task.IsCompleted).Select(a => (Task)a.Task).Append(delay);
            await Task.WhenAny(running).ConfigureAwait(false);
            await timer.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        return false;
    }

    /// <summary>The attempt that answered first; one that fails transiently is passed over while others run, and when all fail, the first one.</summary>
    private static async Task<HedgeAttempt<T>> FirstAnswerAsync<T>(List<HedgeAttempt<T>> attempts)
    {
        var running = new List<HedgeAttempt<T>>(attempts);
        while (running.Count > 0)
        {
            var done = await Task.WhenAny(running.Select(a => a.Task)).ConfigureAwait(false);
            var ended = running.Find(a => ReferenceEquals(a.Task, done))!;
            if (ended.Answered)
            {
                return ended;
            }

            running.Remove(ended);
        }

        return attempts[0];
    }
}
