using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Decorators;
using DrOrchestrator.Storage.Local;
using DrOrchestrator.Storage.Tests.Conformance;
using DrOrchestrator.Testing;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Storage.Tests.Decorators;

public sealed class RetryingObjectStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new("retry");
    private readonly FaultInjectingObjectStore _faulty;
    private readonly CapturingLogger _logger = new();
    private readonly RetryingObjectStore _store;

    public RetryingObjectStoreTests()
    {
        _faulty = new FaultInjectingObjectStore(LocalObjectStore.Create(new LocalTargetOptions { Path = _directory.Path }));
        _store = new RetryingObjectStore(_faulty, Fast(maxAttempts: 4), _logger);
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Transient_failures_are_retried_until_success_and_logged_with_store_and_key()
    {
        var hash = await _faulty.PutPatternAsync("k/1", 1000, seed: 1);
        _faulty.FailNextCalls(2);

        Assert.Equal(hash, await _store.GetSha256Async("k/1"));

        Assert.Equal(4, _faulty.CallCount);
        var retries = _logger.Entries.Where(e => e.Id.Id == 2101).ToList();
        Assert.Equal(2, retries.Count);
        Assert.All(retries, e => Assert.Equal(LogLevel.Warning, e.Level));
        Assert.StartsWith($"Get of 'k/1' on {_faulty.Description} failed (attempt 1); retrying in ", retries[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Permanent_failures_are_not_retried()
    {
        _faulty.FailNextCalls(1, transient: false);

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.StatAsync("k", CancellationToken.None));

        Assert.Equal($"{_faulty.Description}: k: injected failure of call 1", ex.Message);
        Assert.Equal(1, _faulty.CallCount);
    }

    [Fact]
    public async Task Not_found_is_not_retried()
    {
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => _store.GetAsync("missing", null, CancellationToken.None));

        Assert.Equal(1, _faulty.CallCount);
    }

    [Fact]
    public async Task It_gives_up_after_MaxAttempts_and_rethrows_the_last_error()
    {
        _faulty.FailNextCalls(100);

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.DeleteAsync("k", CancellationToken.None));

        Assert.True(ex.IsTransient);
        Assert.Equal($"{_faulty.Description}: k: injected failure of call 4", ex.Message);
        Assert.Equal(4, _faulty.CallCount);
        Assert.Single(_logger.Entries, e => e.Id.Id == 2102 && e.Level == LogLevel.Error);
    }

    [Fact]
    public async Task It_gives_up_when_the_next_delay_would_pass_MaxElapsed()
    {
        var store = new RetryingObjectStore(_faulty, new RetryOptions
        {
            MaxAttempts = 50,
            InitialDelay = TimeSpan.FromMilliseconds(400),
            MaxDelay = TimeSpan.FromMilliseconds(400),
            MaxElapsed = TimeSpan.FromMilliseconds(500),
        }, _logger);
        _faulty.FailNextCalls(100);

        await Assert.ThrowsAsync<ObjectStoreException>(() => store.StatAsync("k", CancellationToken.None));

        Assert.InRange(_faulty.CallCount, 1, 3);
    }

    [Fact]
    public async Task A_seekable_put_stream_is_rewound_before_a_retry()
    {
        _faulty.PutBytesConsumedBeforeFailure = 5000;
        _faulty.FailNextCalls(1);
        await using var content = new PatternStream(20_000, seed: 3) { Position = 100 };

        await _store.PutAsync("seek", content, CancellationToken.None);

        Assert.Equal(Content.ExpectedSha256(20_000, 3, 100), await _faulty.GetSha256Async("seek"));
        Assert.Equal(2, _faulty.CallCount - 1);
    }

    [Fact]
    public async Task A_partly_read_non_seekable_put_is_not_retried()
    {
        _faulty.PutBytesConsumedBeforeFailure = 5000;
        _faulty.FailNextCalls(1);
        await using var content = new PatternStream(20_000, seed: 3, seekable: false);

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.PutAsync("once", content, CancellationToken.None));

        Assert.True(ex.IsTransient);
        Assert.Equal(1, _faulty.CallCount);
        Assert.Null(await _faulty.StatAsync("once", CancellationToken.None));
        Assert.Single(_logger.Entries, e => e.Id.Id == 2103);
    }

    [Fact]
    public async Task An_unread_non_seekable_put_is_retried()
    {
        _faulty.FailNextCalls(2);
        await using var content = new PatternStream(20_000, seed: 4, seekable: false);

        await _store.PutAsync("unread", content, CancellationToken.None);

        Assert.Equal(Content.ExpectedSha256(20_000, 4), await _faulty.GetSha256Async("unread"));
    }

    [Fact]
    public async Task A_failed_listing_is_restarted()
    {
        await _faulty.PutPatternAsync("l/a", 1, seed: 1);
        await _faulty.PutPatternAsync("l/b", 1, seed: 1);
        _faulty.FailNextCalls(1);

        Assert.Equal(["l/a", "l/b"], (await _store.ListAllAsync("l/")).Select(i => i.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Cancellation_stops_the_retry_loop()
    {
        var store = new RetryingObjectStore(_faulty, new RetryOptions { MaxAttempts = 100, InitialDelay = TimeSpan.FromSeconds(5), MaxDelay = TimeSpan.FromSeconds(5) }, _logger);
        _faulty.FailNextCalls(100);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.StatAsync("k", cts.Token));

        Assert.Equal(1, _faulty.CallCount);
    }

    [Fact]
    public void Invalid_options_are_rejected_naming_the_field()
    {
        var options = new RetryOptions { MaxAttempts = 0, MaxDelay = TimeSpan.FromMilliseconds(1) };

        Assert.Equal(
            ["Retry:MaxAttempts must be between 1 and 100 (got 0).", "Retry:MaxDelay must be at least InitialDelay (got 00:00:00.0010000 < 00:00:00.2500000)."],
            options.Validate());
        Assert.Throws<ArgumentException>(() => new RetryingObjectStore(_faulty, options, _logger));
    }

    private static RetryOptions Fast(int maxAttempts) => new()
    {
        MaxAttempts = maxAttempts,
        InitialDelay = TimeSpan.FromMilliseconds(1),
        MaxDelay = TimeSpan.FromMilliseconds(5),
        MaxElapsed = TimeSpan.FromSeconds(30),
    };
}
