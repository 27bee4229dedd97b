using System.Threading.Channels;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Backup;

/// <summary>
/// The pack → upload stages. One packer appends sealed blobs to a file pack and closes it at the
/// target size; uploaders (the store's recommended concurrency) make finished packs durable and
/// delete the files. On a store that stages files (a local directory, see
/// <see cref="IStagedObjectStore"/>) the pack is built in the store's own staging file and
/// "uploading" is its fsync + rename, so the bytes are written once; elsewhere the pack is built in
/// a temp file and put. Every <see cref="PacksPerIndex"/> durable packs an index is written for
/// them, so a long backup that is interrupted still leaves its data indexed and reusable;
/// <see cref="FlushIndexAsync"/> writes the index for the rest at the end.
/// </summary>
internal sealed class PackStage(BackupRun run)
{
    private readonly Channel<(PackWriter Writer, PackRecord Record)> _finished =
        Channel.CreateBounded<(PackWriter, PackRecord)>(new BoundedChannelOptions(2) { SingleWriter = true });

    public const int PacksPerIndex = 64;

    private readonly List<PackRecord> _unindexed = [];
    private readonly IStagedObjectStore? _staging = ObjectStaging.Find(run.Repo.Store);
    private readonly SemaphoreSlim _indexLock = new(1, 1);

    /// <summary>Writes one index for every durable pack not yet indexed (packs first, then their index).</summary>
    public Task FlushIndexAsync(CancellationToken ct) => FlushIndexAsync(1, ct);

    private async Task FlushIndexAsync(int minimumPacks, CancellationToken ct)
    {
        await _indexLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            List<PackRecord> batch;
            lock (_unindexed)
            {
                // Another uploader may have flushed while this one waited.
                if (_unindexed.Count < minimumPacks)
                {
                    return;
                }

                batch = [.. _unindexed];
                _unindexed.Clear();
            }

            await run.Repo.SaveIndexAsync(batch, ct).ConfigureAwait(false);
        }
        finally
        {
            _indexLock.Release();
        }
    }

    public int UploaderCount => Math.Clamp(run.Repo.Store.Capabilities.RecommendedConcurrency, 1, 16);

    /// <remarks>
    /// Tree blobs get packs of their own. The tree stage encodes directories while data is still
    /// flowing, so in one shared pack they would be scattered between data blobs; kept together,
    /// a directory's tree sits next to its siblings' and a restore reads them in one request
    /// (see <see cref="BackupRepository"/>'s batched tree reads), and the pack boundaries of the
    /// data do not depend on when directories happen to complete.
    /// </remarks>
    public async Task PackAsync(CancellationToken ct)
    {
        PackWriter? data = null;
        PackWriter? trees = null;
        using var aead = run.Repo.Key.CreateAead();
        try
        {
            await foreach (var blob in run.Sealed.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                PackWriter writer;
                try
                {
                    writer = blob.Type == BlobType.Tree ? trees ??= NewWriter() : data ??= NewWriter();
                    writer.Add(blob);
                    Interlocked.Add(ref run.BytesStored, blob.Length);
                }
                finally
                {
                    run.Pool.Return(blob.Buffer);
                }

                if (writer.Size >= run.Repo.Config.PackSize)
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

    public async Task UploadAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var (writer, record) in _finished.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                using (writer)
                {
                    await writer.StoreAsync(run.Repo.Store, ObjectKeys.Pack(record.Id), ct).ConfigureAwait(false);
                }

                bool full;
                lock (_unindexed)
                {
                    _unindexed.Add(record);
                    full = _unindexed.Count >= PacksPerIndex;
                }

                if (full)
                {
                    await FlushIndexAsync(PacksPerIndex, ct).ConfigureAwait(false);
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
    /// Deletes the files of packs that were finished but never stored. The pipeline calls it once
    /// more after every stage has ended: a packer's hand-over can land just after the last
    /// uploader drained the queue, and a staging file, unlike a delete-on-close temp file, would
    /// otherwise stay in the repository.
    /// </summary>
    public void DiscardUnsent()
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
