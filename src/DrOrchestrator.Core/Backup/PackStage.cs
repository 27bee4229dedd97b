using System.Threading.Channels;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Backup;

/// <summary>
/// The pack → upload stages. One packer appends sealed blobs to a temp-file pack and closes it
/// at the target size; uploaders (the store's recommended concurrency) put finished packs and
/// delete the temp files. <see cref="Uploaded"/> lists the packs that are durable, which is what
/// the index written afterwards may reference.
/// </summary>
internal sealed class PackStage(BackupRun run)
{
    private readonly Channel<(PackWriter Writer, PackRecord Record)> _finished =
        Channel.CreateBounded<(PackWriter, PackRecord)>(new BoundedChannelOptions(2) { SingleWriter = true });

    private readonly List<PackRecord> _uploaded = [];

    public IReadOnlyList<PackRecord> Uploaded
    {
        get
        {
            lock (_uploaded)
            {
                return [.. _uploaded];
            }
        }
    }

    public int UploaderCount => Math.Clamp(run.Repo.Store.Capabilities.RecommendedConcurrency, 1, 16);

    public async Task PackAsync(CancellationToken ct)
    {
        PackWriter? writer = null;
        using var aead = run.Repo.Key.CreateAead();
        try
        {
            await foreach (var blob in run.Sealed.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    writer ??= new PackWriter(BackupRepository.TempDirectory);
                    writer.Add(blob);
                    Interlocked.Add(ref run.BytesStored, blob.Length);
                }
                finally
                {
                    run.Pool.Return(blob.Buffer);
                }

                if (writer.Size >= run.Repo.Config.PackSize)
                {
                    var full = writer;
                    writer = null;
                    await HandOverAsync(full, aead, ct).ConfigureAwait(false);
                }
            }

            if (writer is not null)
            {
                var last = writer;
                writer = null;
                await HandOverAsync(last, aead, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            writer?.Dispose();
            _finished.Writer.TryComplete();
        }
    }

    public async Task UploadAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var (writer, record) in _finished.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                using (writer)
                {
                    await run.Repo.Store.PutAsync(ObjectKeys.Pack(record.Id), writer.Content, ct).ConfigureAwait(false);
                }

                lock (_uploaded)
                {
                    _uploaded.Add(record);
                }
            }
        }
        finally
        {
            // After a failure, temp files still queued are deleted here (they are delete-on-close).
            while (_finished.Reader.TryRead(out var left))
            {
                left.Writer.Dispose();
            }
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
