using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Transactions;
using DrOrchestrator.Catalog;
using DrOrchestrator.Server.Configuration;
using DrOrchestrator.Server.Work;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>What became of one fire.</summary>
public enum FireOutcome
{
    Enqueued,
    Missed,

    /// <summary>Another fire of the same instant (a double fire, another node) got there first.</summary>
    Duplicate,
}

/// <summary>
/// The one thing a Quartz fire does: claim the instant in the catalog (policy + kind + due time
/// is unique there, so a double fire claims once) and enqueue the work — or, when the fire comes
/// later than the grace, record it as missed and start nothing. Used by the trigger job and by
/// the catch-up after downtime, so every late fire is judged by the same rule.
/// </summary>
public sealed class FireHandler(CatalogStore catalog, IWorkQueue queue, KnownFires known, TimeProvider time, IOptions<ServerOptions> options, ILogger<FireHandler> logger)
{
    public TimeSpan Grace => TimeSpan.FromSeconds(options.Value.MisfireGraceSeconds);

    /// <summary>Where the last batch's time went (the intake logs it with the batch).</summary>
    public FireBatchTimings? LastBatch { get; private set; }

    /// <summary>Enqueues in flight at once for one batch (well inside Npgsql's pool of 100 that Hangfire.PostgreSql draws on).</summary>
    public const int EnqueueConcurrency = 8;

    /// <summary>Jobs enqueued in one Hangfire.PostgreSql transaction (decisions §72): few commits, yet the first jobs of a burst visible to the workers early.</summary>
    public const int EnqueueChunk = 25;

    /// <summary>A chunk's transaction is rolled back past this (25 enqueues take tens of milliseconds).</summary>
    public static readonly TimeSpan EnqueueChunkTimeout = TimeSpan.FromSeconds(30);

    public async Task<FireOutcome> HandleAsync(string policy, RunKind kind, DateTimeOffset scheduledAt, CancellationToken cancellationToken) =>
        (await HandleAsync([new DueFire(policy, kind, scheduledAt)], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Handles many fires together (every policy due at one cron instant): one catalog statement
    /// claims them all, the won ones are enqueued (several at once), and one transaction records
    /// their job ids — three commits for the burst, where one fire at a time cost two commits per fire.
    /// </summary>
    public async Task<IReadOnlyList<FireOutcome>> HandleAsync(IReadOnlyList<DueFire> fires, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fires);
        var now = time.GetUtcNow();
        var claims = fires.Select(fire =>
        {
            var lateness = now - fire.ScheduledAt;
            return lateness > Grace
                ? new FireClaim(fire.Policy, fire.Kind, fire.ScheduledAt, FireStatus.Missed, $"fired {lateness.TotalSeconds:0} s late, grace {Grace.TotalSeconds:0} s")
                : new FireClaim(fire.Policy, fire.Kind, fire.ScheduledAt, FireStatus.Enqueued, null);
        }).ToList();
        var clock = Stopwatch.StartNew();
        var ids = await catalog.TryClaimFiresAsync(claims, cancellationToken).ConfigureAwait(false);
        var claimed = clock.Elapsed;
        foreach (var fire in fires)
        {
            known.Saw(fire.Policy, fire.Kind, fire.ScheduledAt); // won or lost, its row exists now
        }

        var outcomes = new FireOutcome[fires.Count];
        var won = new List<(DueFire Fire, long FireId)>();
        for (int i = 0; i < fires.Count; i++)
        {
            var fire = fires[i];
            if (ids[i] is not { } fireId)
            {
                Log.FireDuplicate(logger, fire.Policy, fire.Kind.ToString(), fire.ScheduledAt);
                outcomes[i] = FireOutcome.Duplicate;
            }
            else if (claims[i].Status == FireStatus.Missed)
            {
                Log.FireMissed(logger, fire.Policy, fire.Kind.ToString(), fire.ScheduledAt, claims[i].Detail!);
                outcomes[i] = FireOutcome.Missed;
            }
            else
            {
                won.Add((fire, fireId));
                outcomes[i] = FireOutcome.Enqueued;
            }
        }

        var (jobIds, failure) = await EnqueueAllAsync(won).ConfigureAwait(false);
        var enqueuedAt = clock.Elapsed;
        // Also when an enqueue failed: the jobs that exist are recorded, so no fire's job is unknown to the catalog.
        var queued = Enumerable.Range(0, won.Count).Where(i => jobIds[i] is not null).ToList();
        var owned = await catalog.TryOwnFiresAsync([.. queued.Select(i => (won[i].FireId, jobIds[i]!))], cancellationToken).ConfigureAwait(false);
        if (failure is null)
        {
            await catalog.UpdateFiresAsync([.. Enumerable.Range(0, won.Count).Where(i => jobIds[i] is null).Select(i => NoJobOfKind(won[i].Fire.Kind, won[i].FireId))], cancellationToken).ConfigureAwait(false);
        }

        for (int n = 0; n < queued.Count; n++)
        {
            if (!owned[n])
            {
                int i = queued[n];
                Log.FireOwnedByAnotherJob(logger, won[i].Fire.Kind.ToString().ToLowerInvariant(), won[i].FireId, won[i].Fire.Policy, jobIds[i]!, "the watchdog queued it again");
            }
        }

        failure?.Throw();
        LastBatch = new FireBatchTimings(claimed, enqueuedAt - claimed, clock.Elapsed - enqueuedAt);
        for (int i = 0; i < won.Count; i++)
        {
            if (jobIds[i] is { } jobId)
            {
                Log.FireEnqueued(logger, won[i].Fire.Policy, won[i].Fire.Kind.ToString(), won[i].Fire.ScheduledAt, jobId);
            }
        }

        return outcomes;
    }

    /// <summary>
    /// Enqueues the won fires' work, <see cref="EnqueueConcurrency"/> chunks of <see cref="EnqueueChunk"/>
    /// at a time: Hangfire's client is synchronous and, on Hangfire.PostgreSql, two transactions per
    /// job unless an ambient one holds them (70–80 ms each on a loaded host, decisions §67), so one
    /// at a time a burst of 1,000 took over a minute. Dedicated
    /// threads, not the thread pool: blocking pool threads would starve Quartz and the catalog's
    /// async I/O while the pool slowly grows. Each fire is its own claim, so the order is free.
    /// Returns the job ids (null: this build has no job of that kind, or its chunk failed) and
    /// the first failure.
    /// </summary>
    private async Task<(string?[] JobIds, ExceptionDispatchInfo? Failure)> EnqueueAllAsync(List<(DueFire Fire, long FireId)> won)
    {
        var jobIds = new string?[won.Count];
        ExceptionDispatchInfo? failure = null;
        // One database transaction per chunk of jobs where the queue is Hangfire.PostgreSql: it
        // enlists its per-job transactions (create, then the Enqueued state and queue row) in the
        // ambient one, so a chunk of 25 is one commit instead of 50, on one pooled connection
        // (Npgsql hands the enlisted one out again). All or none: a failed chunk leaves no job of
        // it. The in-memory queue is not transactional, so there each job is its own chunk.
        bool transactional = options.Value.WorkStorage == WorkStorage.Postgres;
        int chunkSize = transactional ? EnqueueChunk : 1;
        int next = -chunkSize;
        void Drain()
        {
            for (int start = Interlocked.Add(ref next, chunkSize); start < won.Count && Volatile.Read(ref failure) is null; start = Interlocked.Add(ref next, chunkSize))
            {
                int end = Math.Min(won.Count, start + chunkSize);
                try
                {
                    using var chunk = transactional
                        ? new TransactionScope(TransactionScopeOption.RequiresNew, new TransactionOptions { IsolationLevel = IsolationLevel.ReadCommitted, Timeout = EnqueueChunkTimeout })
                        : null;
                    for (int i = start; i < end; i++)
                    {
                        jobIds[i] = Enqueue(won[i].Fire.Policy, won[i].Fire.Kind, won[i].FireId);
                    }

                    chunk?.Complete();
                }
                catch (Exception ex)
                {
                    Array.Clear(jobIds, start, end - start);
                    Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(ex), null);
                }
            }
        }

        int threads = Math.Min(EnqueueConcurrency, (won.Count + chunkSize - 1) / chunkSize);
        if (threads <= 1)
        {
            Drain();
        }
        else
        {
            await Task.WhenAll(Enumerable.Range(0, threads).Select(_ => Task.Factory.StartNew(
                Drain, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))).ConfigureAwait(false);
        }

        return (jobIds, failure);
    }

    /// <summary>
    /// Enqueues the work of a claimed fire that has no job (a stranded claim, a follow-up prune, a
    /// fire re-opened after a restart) and records its job id — as a compare-and-set, so when
    /// another job made the fire its own meanwhile (the original job of a stranded claim started
    /// after all), that one keeps it and the new job will not run it (decisions §78).
    /// </summary>
    public async Task<string?> EnqueueAsync(string policy, RunKind kind, DateTimeOffset scheduledAt, long fireId, CancellationToken cancellationToken)
    {
        var jobId = Enqueue(policy, kind, fireId);
        if (jobId is null)
        {
            await catalog.UpdateFiresAsync([NoJobOfKind(kind, fireId)], cancellationToken).ConfigureAwait(false);
        }
        else if (await catalog.TryOwnFireAsync(fireId, jobId, cancellationToken).ConfigureAwait(false))
        {
            Log.FireEnqueued(logger, policy, kind.ToString(), scheduledAt, jobId);
        }
        else
        {
            Log.FireOwnedByAnotherJob(logger, kind.ToString().ToLowerInvariant(), fireId, policy, jobId, "another job made it its own first");
        }

        return jobId;
    }

    private string? Enqueue(string policy, RunKind kind, long fireId) => kind switch
    {
        RunKind.Backup => queue.EnqueueBackup(policy, fireId, "schedule"),
        RunKind.Drill => queue.EnqueueDrill(policy, fireId, "schedule"),
        RunKind.Prune => queue.EnqueuePrune(policy, fireId, "schedule"),
        _ => null,
    };

    /// <summary>
    /// A fire whose kind has no job in this build is recorded missed. A queued fire's row gets its
    /// job id only (<see cref="CatalogStore.TryOwnFiresAsync"/>): the status is left alone, since a
    /// quick job may already have finished the fire (a batch records job ids after enqueuing all of them).
    /// </summary>
    private static FireUpdate NoJobOfKind(RunKind kind, long fireId) =>
        new(fireId, FireStatus.Missed, null, $"no {kind.ToString().ToLowerInvariant()} job in this build");
}

/// <summary>A batch's claim statement, its enqueues, and the transaction recording the job ids.</summary>
public sealed record FireBatchTimings(TimeSpan Claim, TimeSpan Enqueue, TimeSpan Record);

/// <summary>A trigger's fire: the policy, the kind of work and the instant it was due.</summary>
public sealed record DueFire(string Policy, RunKind Kind, DateTimeOffset ScheduledAt);
