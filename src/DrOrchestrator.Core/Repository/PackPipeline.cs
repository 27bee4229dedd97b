using System.Buffers;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// The pack → upload stages behind <see cref="RepositoryWriter"/>. One packer appends sealed
/// blobs to a file pack and closes it at the target size; uploaders (the store's recommended
/// concurrency) make finished packs durable and delete the files. On a store that stages files (a
/// local directory, see <see cref="IStagedObjectStore"/>) the pack is built in the store's own
/// staging file and "uploading" is its fsync + rename, so the bytes are written once; elsewhere
/// the pack is built in a temp file and put. Durable packs are indexed as the run goes — once
/// <see cref="PacksPerIndex"/> of them wait, or the oldest has waited <see cref="IndexMaxAge"/> —
/// and, when the pipeline is aborted (Ctrl-C, a failed store, a failed source), every pack already
/// durable is indexed before it returns: the next run finds their blobs in the index and uploads
/// only what is missing (resume). <see cref="CompleteAsync"/> writes the index for the rest at the
/// end. A kill -9 loses at most the packs of the last <see cref="IndexMaxAge"/> (they stay in the
/// store unindexed: `check` lists them, prune removes them).
/// </summary>
/// <remarks>
/// The stages start with the pipeline and run until <see cref="CompleteAsync"/> (every pack
/// durable and indexed) or <see cref="AbortAsync"/> (unsent pack files deleted). The first
/// failure of a stage is kept as <see cref="Fault"/>, cancels <see cref="Aborted"/> and closes the
/// blob channel with it, so a producer waiting to hand over a blob sees the real error at once.
/// </remarks>
internal sealed class PackPipeline
{
    public const int PacksPerIndex = 64;

    /// <summary>A durable pack is indexed at the latest when the next pack after this age completes (see docs/decisions.md §28).</summary>
    public static readonly TimeSpan IndexMaxAge = TimeSpan.FromSeconds(30);

    /// <summary>How long an aborted pipeline tries to index its durable packs: an index is one small put.</summary>
    private static readonly TimeSpan AbortIndexTimeout = TimeSpan.FromSeconds(10);

    private readonly BackupRepository _repo;
    private readonly ArrayPool<byte> _pool;
    private readonly CancellationTokenSource _abort = new();
    private readonly Channel<(PackWriter Writer, PackRecord Record)> _finished =
        Channel.CreateBounded<(PackWriter, PackRecord)>(new BoundedChannelOptions(2) { SingleWriter = true });

    private readonly List<PackRecord> _unindexed = [];
    private long _oldestUnindexed;
    private readonly IStagedObjectStore? _staging;
    private readonly SemaphoreSlim _indexLock = new(1, 1);
    private readonly Task _stages;
    private ExceptionDispatchInfo? _fault;

    public PackPipeline(BackupRepository repo, ArrayPool<byte> pool)
    {
        _repo = repo;
        _pool = pool;
        _staging = ObjectStaging.Find(repo.Store);
        // One slot: a sealed blob waits for the packer, it does not pile up (memory stays bounded).
        Sealed = Channel.CreateBounded<SealedBlob>(new BoundedChannelOptions(1) { SingleReader = true });
        var token = _abort.Token;
        var packer = Stage(() => PackAsync(token));
        var uploaders = Enumerable.Range(0, UploaderCount).Select(_ => Stage(() => UploadAsync(token)));
        _stages = Task.WhenAll([packer, .. uploaders]);
    }

    /// <summary>Sealed blobs on their way to the packer, which returns their buffers to the pool.</summary>
    public Channel<SealedBlob> Sealed { get; }

    /// <summary>Cancelled when a stage failed or the pipeline was aborted.</summary>
    public CancellationToken Aborted => _abort.Token;

    /// <summary>The first failure of a stage, if any.</summary>
    public ExceptionDispatchInfo? Fault => Volatile.Read(ref _fault);

    private int UploaderCount => Math.Clamp(_repo.Store.Capabilities.RecommendedConcurrency, 1, 16);

    /// <summary>No more blobs: closes the last packs, waits until every pack is durable, then indexes the rest.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        Sealed.Writer.TryComplete();
        using (ct.Register(() => _abort.Cancel()))
        {
            await _stages.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        DiscardUnsent();
        Fault?.Throw();
        ct.ThrowIfCancellationRequested();
        await FlushIndexAsync(force: true, ct).ConfigureAwait(false);
    }

    /// <summary>Stops every stage and deletes the files of packs that were never stored.</summary>
    public async Task AbortAsync()
    {
        await _abort.CancelAsync().ConfigureAwait(false);
        Sealed.Writer.TryComplete();
        await _stages.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        // Every stage has ended, so nothing can enqueue a pack any more.
        DiscardUnsent();
        while (Sealed.Reader.TryRead(out var left))
        {
            _pool.Return(left.Buffer);
        }

        await IndexDurablePacksAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// After an abort: the packs stored so far are durable, so they are indexed for the next run to
    /// reuse. Best effort and bounded: when the store is what failed, this fails too, and a pack
    /// left unindexed costs only its upload again.
    /// </summary>
    private async Task IndexDurablePacksAsync()
    {
        using var timeout = new CancellationTokenSource(AbortIndexTimeout);
        try
        {
            await FlushIndexAsync(force: true, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectStoreException or OperationCanceledException or IOException or UnauthorizedAccessException)
        {
        }
    }

    private Task Stage(Func<Task> body) => Task.Run(async () =>
    {
        try
        {
            await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !_abort.IsCancellationRequested)
        {
            Interlocked.CompareExchange(ref _fault, ExceptionDispatchInfo.Capture(e), null);
            Sealed.Writer.TryComplete(e);
            await _abort.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }, CancellationToken.None);

    /// <summary>Indexes the durable packs not indexed yet: all of them when <paramref name="force"/>, else only when <see cref="IndexDue"/>.</summary>
    private async Task FlushIndexAsync(bool force, CancellationToken ct)
    {
        await _indexLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            List<PackRecord> batch;
            lock (_unindexed)
            {
                // Another uploader may have flushed while this one waited.
                if (_unindexed.Count == 0 || !(force || IndexDue()))
                {
                    return;
                }

                batch = [.. _unindexed];
                _unindexed.Clear();
            }

            try
            {
                await _repo.SaveIndexAsync(batch, ct).ConfigureAwait(false);
            }
            catch
            {
                // Not indexed after all (an interrupt cancelled the save, or the store failed): the
                // packs go back to the list, so the flush an abort makes still indexes them. Lost,
                // they would be stored but unknown, and the next run would upload them again.
                lock (_unindexed)
                {
                    _unindexed.InsertRange(0, batch);
                }

                throw;
            }
        }
        finally
        {
            _indexLock.Release();
        }
    }

    /// <summary>Enough packs wait, or the oldest has waited long enough. Caller holds the <see cref="_unindexed"/> lock.</summary>
    private bool IndexDue() =>
        _unindexed.Count >= PacksPerIndex || (_unindexed.Count > 0 && Stopwatch.GetElapsedTime(_oldestUnindexed) >= IndexMaxAge);

    /// <remarks>
    /// Tree blobs get packs of their own. The tree stage encodes directories while data is still
    /// flowing, so in one shared pack they would be scattered between data blobs; kept together,
    /// a directory's tree sits next to its siblings' and a restore reads them in one request
    /// (see <see cref="BackupRepository"/>'s batched tree reads), and the pack boundaries of the
    /// data do not depend on when directories happen to complete.
    /// </remarks>
    private async Task PackAsync(CancellationToken ct)
    {
        PackWriter? data = null;
        PackWriter? trees = null;
        using var aead = _repo.Key.CreateAead();
        try
        {
            await foreach (var blob in Sealed.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                PackWriter writer;
                try
                {
                    writer = blob.Type == BlobType.Tree ? trees ??= NewWriter() : data ??= NewWriter();
                    writer.Add(blob);
                }
                finally
                {
                    _pool.Return(blob.Buffer);
                }

                if (writer.Size >= _repo.Config.PackSize)
                {
                    // Forget it before handing it over: from then on the uploader owns (and disposes) it.
                    if (writer == trees)
                    {
                        trees = null;
                    }
                    else
                    {
                        data = null;
                    }

                    await HandOverAsync(writer, aead, ct).ConfigureAwait(false);
                }
            }

            if (data is { } lastData)
            {
                data = null;
                await HandOverAsync(lastData, aead, ct).ConfigureAwait(false);
            }

            if (trees is { } lastTrees)
            {
                trees = null;
                await HandOverAsync(lastTrees, aead, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            data?.Dispose();
            trees?.Dispose();
            _finished.Writer.TryComplete();
        }
    }

    private PackWriter NewWriter() => _staging is not null ? new PackWriter(_staging.BeginStage()) : new PackWriter(BackupRepository.TempDirectory);

    private async Task UploadAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var (writer, record) in _finished.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                using (writer)
                {
                    await writer.StoreAsync(_repo.Store, ObjectKeys.Pack(record.Id), ct).ConfigureAwait(false);
                }

                bool due;
                lock (_unindexed)
                {
                    if (_unindexed.Count == 0)
                    {
                        _oldestUnindexed = Stopwatch.GetTimestamp();
                    }

                    _unindexed.Add(record);
                    due = IndexDue();
                }

                if (due)
                {
                    await FlushIndexAsync(force: false, ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            // After a failure, pack files still queued are deleted here, as early as possible.
            DiscardUnsent();
        }
    }

    /// <summary>
    /// Deletes the files of packs that were finished but never stored. Called once more after every
    /// stage has ended: a packer's hand-over can land just after the last uploader drained the
    /// queue, and a staging file, unlike a delete-on-close temp file, would otherwise stay in the
    /// repository.
    /// </summary>
    private void DiscardUnsent()
    {
        while (_finished.Reader.TryRead(out var left))
        {
            left.Writer.Dispose();
        }
    }

    private async Task HandOverAsync(PackWriter writer, Security.Aead aead, CancellationToken ct)
    {
        try
        {
            var record = writer.Finish(aead);
            await _finished.Writer.WriteAsync((writer, record), ct).ConfigureAwait(false);
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }
}
