using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>
/// Where Quartz hands its fires: they are handled in batches by <see cref="FireHandler"/>, so the
/// policies due at one cron instant (1,000 at 03:00 is a normal installation) are claimed with one
/// catalog statement rather than two commits each, which on SQLite's single writer queued a
/// burst for over a minute (decisions §60). A fire waits at most <see cref="Linger"/> for others
/// of its burst; the Quartz job returns once its fire is claimed and enqueued (or found a
/// duplicate, or missed), as when it handled the fire itself.
/// </summary>
public sealed class FireIntake(IServiceScopeFactory scopes, TimeProvider time, ILogger<FireIntake> logger) : BackgroundService
{
    /// <summary>How long the first fire of a batch waits for the rest of its burst (Quartz releases a burst over a few milliseconds).</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(20);

    /// <summary>Fires per batch: a catalog statement of at most this many claims.</summary>
    public const int MaxBatch = 1000;

    /// <summary>
    /// Batches handled at once. On the clustered Quartz store a burst arrives in rounds of
    /// <see cref="ServerServiceCollectionExtensions.FireBatch"/> every 1–2 s and a round took 1–5 s
    /// to claim and enqueue, so one at a time each round waited up to 3.9 s for the one before (decisions §67).
    /// </summary>
    public const int MaxBatchesInFlight = 3;

    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Completes with what became of <paramref name="fire"/>; throws what handling its batch threw.</summary>
    public async Task<FireOutcome> HandleAsync(DueFire fire, CancellationToken cancellationToken)
    {
        var pending = new Pending(fire, time.GetUtcNow(), new TaskCompletionSource<FireOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new OperationCanceledException("the service is stopping");
        }

        return await pending.Outcome.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _pending.Reader;
        var handling = new List<Task>();
        using var slots = new SemaphoreSlim(MaxBatchesInFlight);
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                await Task.Delay(Linger, stoppingToken).ConfigureAwait(false);
                // A free slot before the batch is taken: while every slot is busy, the fires that
                // arrive meanwhile join the next batch rather than each waiting for its own.
                await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                var batch = new List<Pending>();
                while (batch.Count < MaxBatch && reader.TryRead(out var pending))
                {
                    batch.Add(pending);
                }

                handling.RemoveAll(t => t.IsCompleted);
                handling.Add(HandleBatchAsync(batch, slots, stoppingToken));
            }
        }
        finally
        {
            _pending.Writer.TryComplete();
            await Task.WhenAll(handling).ConfigureAwait(false);
            while (reader.TryRead(out var left))
            {
                left.Outcome.TrySetCanceled(stoppingToken);
            }
        }
    }

    /// <summary>Claims and enqueues one batch; never throws (each fire's Quartz job gets the outcome or the failure).</summary>
    private async Task HandleBatchAsync(List<Pending> batch, SemaphoreSlim slot, CancellationToken stoppingToken)
    {
        var started = time.GetUtcNow();
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var handler = scope.ServiceProvider.GetRequiredService<FireHandler>();
            var outcomes = await handler.HandleAsync([.. batch.Select(p => p.Fire)], stoppingToken).ConfigureAwait(false);
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i].Outcome.TrySetResult(outcomes[i]);
            }

            // Where a burst's latency goes: Quartz handing the fire over late, the intake (a free slot), or the claim and enqueue.
            Log.FireBatchHandled(
                logger, batch.Count, (batch[0].Arrived - batch[0].Fire.ScheduledAt).TotalMilliseconds, (started - batch[0].Arrived).TotalMilliseconds,
                (time.GetUtcNow() - started).TotalMilliseconds, handler.LastBatch!.Claim.TotalMilliseconds, handler.LastBatch.Enqueue.TotalMilliseconds,
                handler.LastBatch.Record.TotalMilliseconds);
        }
        catch (Exception ex)
        {
            // Each fire's Quartz job reports it; the catch-up finds the instants again from the catalog.
            batch.ForEach(p => p.Outcome.TrySetException(ex));
        }
        finally
        {
            slot.Release();
        }
    }

    private sealed record Pending(DueFire Fire, DateTimeOffset Arrived, TaskCompletionSource<FireOutcome> Outcome);
}
