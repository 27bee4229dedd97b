using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Decorators;
using DrOrchestrator.Storage.Local;
using DrOrchestrator.Storage.Tests.Conformance;
using DrOrchestrator.Testing;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Storage.Tests.Decorators;

/// <summary>
/// The hedging decorator over a real local store with injected stalls (a call or a body that
/// never answers until cancelled): stalled requests are overtaken, fast ones are never sent twice,
/// the budget holds, losers are cancelled and their bodies disposed, bytes arrive exactly once.
/// </summary>
public sealed class HedgingObjectStoreTests : IDisposable
{
    private const string Pack = "data/ab/ab00000000000000000000000000000000000000000000000000000000000001";

    private readonly TempDirectory _directory = new("hedge");
    private readonly FaultInjectingObjectStore _faulty;
    private readonly CapturingLogger _logger = new();
    private readonly HedgingObjectStore _store;

    public HedgingObjectStoreTests()
    {
        _faulty = new FaultInjectingObjectStore(LocalObjectStore.Create(new LocalTargetOptions { Path = _directory.Path }));
        _store = new HedgingObjectStore(_faulty, Options(), _logger);
    }

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 30_000)]
    public async Task A_stalled_stat_is_overtaken_by_a_second_request_and_the_stalled_one_is_cancelled()
    {
        await _faulty.PutPatternAsync("index/1", 100, seed: 1);
        await WarmAsync("index/1");
        _faulty.StallCall(_faulty.CallCount + 1);

        var info = await _store.StatAsync("index/1", CancellationToken.None);

        Assert.Equal(100, info!.Size);
        Assert.Equal(1, _store.HedgesSent);
        await Eventually(() => _faulty.CancelledStalls == 1);
        var hedge = Assert.Single(_logger.Entries, e => e.Id.Id == 2104);
        Assert.Equal(LogLevel.Information, hedge.Level);
        Assert.StartsWith($"Stat of 'index/1' on {_faulty.Description} has waited ", hedge.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task Fast_requests_are_never_hedged()
    {
        // A floor far above any pause of a loaded test host (the 50 ms of the other tests was
        // crossed by a 2 MiB local put at load 34): what is tested is that a request answered
        // before its threshold is never sent twice, not how short the threshold can be.
        var store = new HedgingObjectStore(_faulty, new HedgingOptions { MinDelay = TimeSpan.FromSeconds(5) }, _logger);
        var expected = await _faulty.PutPatternAsync(Pack, 2 * Content.MiB, seed: 2);
        var calls = _faulty.CallCount;
        for (var i = 0; i < 10; i++)
        {
            Assert.NotNull(await store.StatAsync(Pack, CancellationToken.None));
            Assert.Equal(expected, await store.GetSha256Async(Pack));
            Assert.Equal(expected, await store.PutPatternFileAsync(Pack, 2 * Content.MiB, seed: 2));
            Assert.Single(await store.ListAllAsync("data/"));
        }

        Assert.Equal(0, store.HedgesSent);
        Assert.Equal(calls + 40, _faulty.CallCount);
        Assert.Equal(0, _faulty.OpenBodies);
        Assert.DoesNotContain(_logger.Entries, e => e.Id.Id is >= 2104 and <= 2107);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_put_whose_answer_stalls_is_sent_again_and_returns_only_after_the_stalled_one_ended(bool fromFile)
    {
        await WarmAsync(null);
        _faulty.StallCall(_faulty.CallCount + 1);

        string expected;
        if (fromFile)
        {
            expected = await _store.PutPatternFileAsync(Pack, 3 * Content.MiB + 17, seed: 3);
        }
        else
        {
            var bytes = new byte[3 * Content.MiB + 17];
            new Random(3).NextBytes(bytes);
            expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
            using var memory = new MemoryStream(bytes, 0, bytes.Length, writable: false, publiclyVisible: true);
            await _store.PutAsync(Pack, memory, CancellationToken.None);
        }

        Assert.Equal(1, _store.HedgesSent);
        // The put's body belongs to the caller: the stalled attempt has ended before the put returned.
        Assert.Equal(1, _faulty.CancelledStalls);
        Assert.Equal(expected, await _faulty.GetSha256Async(Pack));
    }

    [Fact(Timeout = 30_000)]
    public async Task By_default_a_put_of_a_write_once_key_is_hedged_and_the_stored_object_is_whole()
    {
        var store = new HedgingObjectStore(_faulty, new HedgingOptions { MinDelay = TimeSpan.FromMilliseconds(50) }, _logger);
        await WarmAsync(null);
        _faulty.StallCall(_faulty.CallCount + 1);
        var bytes = new byte[100_000];
        new Random(5).NextBytes(bytes);
        using var content = new MemoryStream(bytes, 0, bytes.Length, writable: false, publiclyVisible: true);

        await store.PutAsync(Pack, content, CancellationToken.None);

        Assert.Equal(1, store.HedgesSent);
        Assert.Equal(1, _faulty.CancelledStalls);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), await _faulty.GetSha256Async(Pack));
    }

    [Fact(Timeout = 30_000)]
    public async Task The_size_check_after_a_hedged_put_is_hedged_too_when_the_put_spent_the_budget()
    {
        // One token, spent by the put's hedge: the check of the stored size that follows (its
        // stalled loser was cancelled) stalls as well and is still overtaken, not left to Request.
        var store = new HedgingObjectStore(_faulty, new HedgingOptions { MinDelay = TimeSpan.FromMilliseconds(50), MaxInFlight = 1 }, _logger);
        var first = _faulty.CallCount + 1;
        _faulty.StallCall(first); // the put
        _faulty.StallCall(first + 2); // the size check, after the put's hedge (first + 1)

        var expected = await store.PutPatternFileAsync(Pack, Content.MiB + 1, seed: 13);

        Assert.True(store.HedgesSent == 2, string.Join("\n", _logger.Entries.Select(e => e.Message)));
        // The put's stalled attempt has ended before the put returned; the stat's is settled in the background.
        await Eventually(() => _faulty.CancelledStalls == 2);
        Assert.Equal(first + 3, _faulty.CallCount);
        Assert.Equal(expected, await _faulty.GetSha256Async(Pack));
        Assert.Contains(_logger.Entries, e => e.Id.Id == 2104 && e.Message.StartsWith($"Stat of '{Pack}' on ", StringComparison.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public async Task With_puts_off_a_put_is_not_hedged_even_of_a_write_once_key_and_the_callers_cancellation_ends_it()
    {
        var store = new HedgingObjectStore(_faulty, new HedgingOptions { MinDelay = TimeSpan.FromMilliseconds(50), Puts = false }, _logger);
        await WarmAsync(null);
        _faulty.StallCall(_faulty.CallCount + 1);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(600));
        using var content = new MemoryStream(new byte[1000], 0, 1000, writable: false, publiclyVisible: true);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PutAsync(Pack, content, cancel.Token));

        Assert.Equal(0, store.HedgesSent);
        Assert.Equal(1, _faulty.CancelledStalls);
    }

    [Fact(Timeout = 30_000)]
    public async Task On_a_server_that_writes_in_place_a_hedge_still_sending_when_the_slow_first_put_answers_is_let_finish()
    {
        // s3rver's case (§64): the first put is slow, not stalled — it answers while the hedge is
        // mid-body. Cancelling the hedge there left the pack truncated; it must be let finish.
        var inPlace = new InPlaceObjectStore();
        var store = new HedgingObjectStore(inPlace, new HedgingOptions { MinDelay = TimeSpan.FromSeconds(1) }, _logger);
        var (bytes, expected) = Body(Content.MiB + 17, seed: 10);
        var hedgeMidBody = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        inPlace.Pause = async (put, cancellationToken) =>
        {
            if (put is { Number: 1, Stage: InPlaceStage.Answer })
            {
                await hedgeMidBody.Task.WaitAsync(cancellationToken);
                firstAnswered.SetResult();
            }
            else if (put is { Number: 2, Stage: InPlaceStage.Body, Bytes: 8 * InPlaceObjectStore.Chunk })
            {
                hedgeMidBody.SetResult();
                await firstAnswered.Task.WaitAsync(cancellationToken);
                // Well inside the 1 s after which a loser mid-body counts as stalled: the first
                // answer is in, and a cancellation of this attempt would land now.
                await Task.Delay(300, cancellationToken);
            }
        };
        using var content = new MemoryStream(bytes, 0, bytes.Length, writable: false, publiclyVisible: true);

        await store.PutAsync(Pack, content, CancellationToken.None);

        Assert.Equal(1, store.HedgesSent);
        Assert.Equal(expected, Sha256(inPlace.Peek(Pack)!));
        Assert.Equal(2, inPlace.PutCount);
        Assert.DoesNotContain(_logger.Entries, e => e.Id.Id is 2108 or 2109);
        Assert.Contains(_logger.Entries, e => e.Id.Id == 2105 && e.Message.Contains(": the first request answered first,", StringComparison.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_hedge_that_sent_its_whole_body_after_the_first_put_is_let_answer_not_cancelled()
    {
        // The hedge truncated what the first put wrote; bytes its SDK took may not have reached the
        // server yet, so it is not cancelled when the first put answers: its own answer is awaited.
        var inPlace = new InPlaceObjectStore();
        var store = new HedgingObjectStore(inPlace, new HedgingOptions { MinDelay = TimeSpan.FromSeconds(1) }, _logger);
        var (bytes, expected) = Body(Content.MiB + 3, seed: 15);
        var hedgeSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hedgeAnswered = false;
        inPlace.Pause = async (put, cancellationToken) =>
        {
            if (put is { Number: 1, Stage: InPlaceStage.Answer })
            {
                await hedgeSent.Task.WaitAsync(cancellationToken);
            }
            else if (put is { Number: 2, Stage: InPlaceStage.Answer })
            {
                hedgeSent.SetResult();
                await Task.Delay(300, cancellationToken);
                hedgeAnswered = true;
            }
        };
        using var content = new MemoryStream(bytes, 0, bytes.Length, writable: false, publiclyVisible: true);

        await store.PutAsync(Pack, content, CancellationToken.None);

        Assert.True(hedgeAnswered);
        Assert.Equal(1, store.HedgesSent);
        Assert.Equal(2, inPlace.PutCount);
        Assert.Equal(expected, Sha256(inPlace.Peek(Pack)!));
        Assert.DoesNotContain(_logger.Entries, e => e.Id.Id is 2108 or 2109);
    }

    [Fact(Timeout = 30_000)]
    public async Task On_a_server_that_writes_in_place_a_hedge_cut_mid_body_is_followed_by_a_put_that_makes_the_object_whole()
    {
        // The hedge stalls mid-body after the slow first put answered: it is cut (stalled past the
        // threshold), which leaves the pack truncated in place, so the put is sent once more.
        var inPlace = new InPlaceObjectStore();
        var store = new HedgingObjectStore(inPlace, Options(), _logger);
        var (bytes, expected) = Body(Content.MiB + 17, seed: 11);
        var hedgeMidBody = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long? storedBeforeRePut = null;
        inPlace.Pause = async (put, cancellationToken) =>
        {
            switch (put)
            {
                case { Number: 1, Stage: InPlaceStage.Answer }:
                    await hedgeMidBody.Task.WaitAsync(cancellationToken);
                    break;
                case { Number: 2, Stage: InPlaceStage.Body, Bytes: 8 * InPlaceObjectStore.Chunk }:
                    hedgeMidBody.SetResult();
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                    break;
                case { Number: 3, Stage: InPlaceStage.Queued }:
                    storedBeforeRePut = inPlace.Peek(Pack)!.Length;
                    break;
            }
        };
        using var content = new MemoryStream(bytes, 0, bytes.Length, writable: false, publiclyVisible: true);

        await store.PutAsync(Pack, content, CancellationToken.None);

        Assert.Equal(1, store.HedgesSent);
        Assert.Equal(8 * InPlaceObjectStore.Chunk, storedBeforeRePut);
        Assert.Equal(3, inPlace.PutCount);
        Assert.Equal(expected, Sha256(inPlace.Peek(Pack)!));
        var rePut = Assert.Single(_logger.Entries, e => e.Id.Id == 2108);
        Assert.Equal(LogLevel.Warning, rePut.Level);
        Assert.Equal($"Put of '{Pack}' on {inPlace.Description}: 1 hedged attempt(s) ended before sending the whole body, which a server that writes in place may have stored; putting it again, unhedged", rePut.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_first_uploads_wait_for_the_cold_threshold_not_for_one_learned_from_bodiless_answers()
    {
        // Fast stats put the answer threshold at the 50 ms floor; a pack upload whose answer takes
        // 300 ms (the server storing the body) is not stalled, and before any upload was measured
        // it waits for the 1 s cold threshold — a hedge would spend the budget on a healthy upload.
        var inPlace = new InPlaceObjectStore();
        var store = new HedgingObjectStore(inPlace, Options(), _logger);
        await inPlace.PutPatternAsync("index/warm", 10, seed: 0);
        for (var i = 0; i < 6; i++)
        {
            Assert.NotNull(await store.StatAsync("index/warm", CancellationToken.None));
        }

        inPlace.Pause = (put, cancellationToken) => put.Stage == InPlaceStage.Answer ? Task.Delay(300, cancellationToken) : Task.CompletedTask;
        var (bytes, expected) = Body(Content.MiB, seed: 14);
        using var content = new MemoryStream(bytes, 0, bytes.Length, writable: false, publiclyVisible: true);

        await store.PutAsync(Pack, content, CancellationToken.None);

        Assert.Equal(0, store.HedgesSent);
        Assert.Equal(expected, Sha256(inPlace.Peek(Pack)!));
    }

    [Theory(Timeout = 30_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_wait_for_a_connection_before_an_upload_neither_hedges_it_nor_raises_the_upload_threshold(bool checksumFirst)
    {
        // Five uploads queued 1.5 s each (a busy connection pool) before their bodies are read:
        // not hedged at the 1 s floor, and not samples of 1.5 s, which would put the threshold
        // at 6 s; the next upload whose answer stalls is hedged at the floor.
        var inPlace = new InPlaceObjectStore { ReadsBodyBeforeSending = checksumFirst };
        var store = new HedgingObjectStore(inPlace, new HedgingOptions { MinDelay = TimeSpan.FromSeconds(1) }, _logger);
        inPlace.Pause = async (put, cancellationToken) =>
        {
            if (put is { Number: <= 5, Stage: InPlaceStage.Queued })
            {
                await Task.Delay(1500, cancellationToken);
            }
            else if (put is { Number: 6, Stage: InPlaceStage.Answer })
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
        };
        await Task.WhenAll(Enumerable.Range(1, 5).Select(async i =>
        {
            var (queued, _) = Body(100_000, seed: (ulong)i);
            using var content = new MemoryStream(queued, 0, queued.Length, writable: false, publiclyVisible: true);
            await store.PutAsync($"{Pack[..^1]}{i + 1}", content, CancellationToken.None);
        }));
        Assert.Equal(0, store.HedgesSent);
        var (bytes, expected) = Body(300_001, seed: 12);
        using var stalled = new MemoryStream(bytes, 0, bytes.Length, writable: false, publiclyVisible: true);

        await store.PutAsync(Pack, stalled, CancellationToken.None);

        Assert.Equal(1, store.HedgesSent);
        // The threshold is the 1 s floor — above it only if a loaded host paused a put — never the
        // 4 x 1.5 s = 6 s that samples including the queueing would make.
        var hedge = Assert.Single(_logger.Entries, e => e.Id.Id == 2104);
        var threshold = int.Parse(hedge.Message.Split("(threshold ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(threshold < 6000, hedge.Message);
        Assert.Equal(expected, Sha256(inPlace.Peek(Pack)!));
        // The stalled first attempt had sent its body whole: cancelled, checked by size, not put again.
        Assert.Equal(7, inPlace.PutCount);
        Assert.DoesNotContain(_logger.Entries, e => e.Id.Id is 2108 or 2109);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_put_of_a_key_that_may_change_is_not_hedged_and_the_callers_cancellation_ends_it()
    {
        await WarmAsync(null);
        _faulty.StallCall(_faulty.CallCount + 1);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(600));
        using var content = new MemoryStream(new byte[1000], 0, 1000, writable: false, publiclyVisible: true);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.PutAsync("config", content, cancel.Token));

        Assert.Equal(0, _store.HedgesSent);
        Assert.Equal(1, _faulty.CancelledStalls);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_stalled_get_is_overtaken_and_the_losers_body_is_disposed()
    {
        var expected = await _faulty.PutPatternAsync(Pack, Content.MiB, seed: 4);
        // A 1 s floor: with the 50 ms one a loaded host (CI, load ~5) hedged the healthy body read too.
        var store = PatientStore();
        _faulty.StallCall(_faulty.CallCount + 1);

        Assert.Equal(expected, await store.GetSha256Async(Pack));

        Assert.Equal(1, store.HedgesSent);
        await Eventually(() => _faulty.CancelledStalls == 1 && _faulty.OpenBodies == 0);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_that_stalls_mid_stream_is_read_on_from_the_next_byte_by_a_second_request(bool ranged)
    {
        const long length = 3 * Content.MiB + 5;
        await _faulty.PutPatternAsync(Pack, length, seed: 5);
        var store = PatientStore();
        var range = ranged ? new ByteRange(100_001, 2 * Content.MiB) : (ByteRange?)null;
        var expected = ranged ? Content.ExpectedSha256(length, 5, range!.Value.Offset, range.Value.Length) : Content.ExpectedSha256(length, 5);
        _faulty.StallBodyOf(Pack, 1_000_003);

        Assert.Equal(expected, await store.GetSha256Async(Pack, range));

        Assert.Equal(1, store.HedgesSent);
        Assert.Contains(_logger.Entries, e => e.Id.Id == 2106
            && e.Message.Contains($"stalled at byte {(range?.Offset ?? 0) + 1_000_003} ", StringComparison.Ordinal));
        await Eventually(() => _faulty.CancelledStalls == 1 && _faulty.OpenBodies == 0);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_body_of_a_key_that_may_change_is_not_resumed_from_another_request()
    {
        await _faulty.PutPatternAsync("config", 200_000, seed: 6);
        await WarmAsync("config");
        _faulty.StallBodyOf("config", 100_000);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(600));

        await using var body = await _store.GetAsync("config", null, CancellationToken.None);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => body.CopyToAsync(Stream.Null, cancel.Token));

        Assert.Equal(0, _store.HedgesSent);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_stalled_listing_is_overtaken_and_no_key_is_listed_twice()
    {
        for (var i = 0; i < 5; i++)
        {
            await _faulty.PutPatternAsync($"index/{i}", 10, seed: (ulong)i);
        }

        await WarmAsync("index/0");
        _faulty.StallCall(_faulty.CallCount + 1);

        var listed = await _store.ListAllAsync("index/");

        Assert.Equal(["index/0", "index/1", "index/2", "index/3", "index/4"], listed.Select(i => i.Key).Order(StringComparer.Ordinal));
        Assert.Equal(1, _store.HedgesSent);
        await Eventually(() => _faulty.CancelledStalls == 1);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_budget_caps_hedges_when_every_request_stalls()
    {
        await _faulty.PutPatternAsync("index/1", 100, seed: 7);
        await WarmAsync("index/1");
        var first = _faulty.CallCount + 1;
        for (var call = first; call < first + 20; call++)
        {
            _faulty.StallCall(call);
        }

        using var cancel = new CancellationTokenSource();
        // Twenty requests at once, every first attempt stalled: only MaxInFlight (2) hedges may go,
        // because the budget is spent (10 % of requests, at most 2 saved) — the others wait.
        var stats = Enumerable.Range(0, 20).Select(_ => _store.StatAsync("index/1", cancel.Token)).ToList();
        await Eventually(() => stats.Count(s => s.IsCompletedSuccessfully) == 2);
        await Task.Delay(300);

        Assert.Equal(2, stats.Count(s => s.IsCompleted));
        Assert.Equal(2, _store.HedgesSent);
        await cancel.CancelAsync();
        foreach (var stat in stats.Where(s => !s.IsCompletedSuccessfully))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stat);
        }

        await Eventually(() => _faulty.CancelledStalls == 20);
    }

    [Fact(Timeout = 30_000)]
    public async Task Cancelling_the_caller_cancels_every_attempt()
    {
        await _faulty.PutPatternAsync("index/1", 100, seed: 8);
        await WarmAsync("index/1");
        // All three attempts a request may send stall, so only the caller's cancellation ends it.
        _faulty.StallCall(_faulty.CallCount + 1);
        _faulty.StallCall(_faulty.CallCount + 2);
        _faulty.StallCall(_faulty.CallCount + 3);
        using var cancel = new CancellationTokenSource();

        var stat = _store.StatAsync("index/1", cancel.Token);
        await Eventually(() => _store.HedgesSent == 2);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stat);
        await Eventually(() => _faulty.CancelledStalls == 3);
        Assert.Equal(2, _store.HedgesSent);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_hedge_that_stalls_too_is_overtaken_by_a_third_request_and_both_stalled_ones_are_cancelled(bool put)
    {
        var store = PatientStore();
        string expected;
        if (put)
        {
            _faulty.StallCall(_faulty.CallCount + 1);
            _faulty.StallCall(_faulty.CallCount + 2);
            expected = await store.PutPatternFileAsync(Pack, 2 * Content.MiB + 3, seed: 9);
            // A put returns only once both stalled attempts have ended: the body is the caller's.
            Assert.Equal(2, _faulty.CancelledStalls);
        }
        else
        {
            expected = await _faulty.PutPatternAsync(Pack, 2 * Content.MiB + 3, seed: 9);
            _faulty.StallCall(_faulty.CallCount + 1);
            _faulty.StallCall(_faulty.CallCount + 2);
            Assert.Equal(expected, await store.GetSha256Async(Pack));
        }

        Assert.Equal(2, store.HedgesSent);
        Assert.Equal(expected, await _faulty.GetSha256Async(Pack));
        await Eventually(() => _faulty.CancelledStalls == 2 && _faulty.OpenBodies == 0);
        Assert.Equal(2, _logger.Entries.Count(e => e.Id.Id == 2104));
        Assert.Contains(_logger.Entries, e => e.Id.Id == 2105 && e.Message.Contains(": the third request answered first,", StringComparison.Ordinal));
    }

    [Fact]
    public void Options_are_validated_with_field_and_value()
    {
        var bad = new HedgingOptions { MinDelay = TimeSpan.Zero, LatencyMultiplier = 0.5, MaxFraction = 0, MaxInFlight = 0 };

        Assert.Equal(
            [
                "Hedging:MinDelay: must be between 00:00:00.01 and 00:10:00 (got 00:00:00).",
                "Hedging:LatencyMultiplier: must be between 1 and 100 (got 0.5).",
                "Hedging:MaxFraction: must be above 0 and at most 1 (got 0).",
                "Hedging:MaxInFlight: must be between 1 and 64 (got 0).",
            ],
            bad.Validate());
        Assert.Throws<ArgumentException>(() => new HedgingObjectStore(_faulty, bad, _logger));
    }

    private static HedgingOptions Options() => new() { MinDelay = TimeSpan.FromMilliseconds(50), MaxInFlight = 2, MaxFraction = 0.1, Puts = true };

    /// <summary>
    /// A store whose thresholds never drop below 1 s (the cold start's): for tests that count
    /// hedges over megabytes of reads, where a 50 ms floor is crossed by a loaded host's pauses
    /// (an extra body-read hedge at load 5-10). The injected stalls last until cancelled, so they
    /// are hedged all the same.
    /// </summary>
    private HedgingObjectStore PatientStore() =>
        new(_faulty, new HedgingOptions { MinDelay = TimeSpan.FromSeconds(1), MaxInFlight = 2, MaxFraction = 0.1, Puts = true }, _logger);

    private static (byte[] Bytes, string Sha256) Body(int length, ulong seed)
    {
        var bytes = new byte[length];
        new Random((int)seed).NextBytes(bytes);
        return (bytes, Sha256(bytes));
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    private static async Task Eventually(Func<bool> condition)
    {
        for (var waited = 0; !condition(); waited += 20)
        {
            Assert.True(waited < 10_000, "condition not met within 10 s");
            await Task.Delay(20);
        }
    }

    /// <summary>Enough answered requests that the thresholds come from measurements (the 50 ms floor), not the 1 s cold start.</summary>
    private async Task WarmAsync(string? key)
    {
        key ??= "index/warm";
        if (key == "index/warm")
        {
            await _faulty.PutPatternAsync(key, 10, seed: 0);
        }

        for (var i = 0; i < 6; i++)
        {
            Assert.NotNull(await _store.StatAsync(key, CancellationToken.None));
        }

        Assert.Equal(0, _store.HedgesSent);
    }
}
