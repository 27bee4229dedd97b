using System.Buffers;
using System.Security.Cryptography;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Restore;

/// <summary>Chunk <paramref name="Index"/> of <paramref name="File"/> is the blob at <paramref name="Location"/>.</summary>
internal readonly record struct ChunkUse(FileTarget File, int Index, BlobLocation Location)
{
    public BlobId BlobId => File.Chunk(Index);
}

/// <summary>
/// What a restore reads from one pack: every chunk of every file that is in it, sorted by offset
/// (the uses of one blob are neighbours). One array of structs per pack, no object per blob or per
/// use; the restore lets go of it once the pack is done.
/// </summary>
internal sealed record PackUses(int Pack, ChunkUse[] Uses);

/// <summary>A blob of the pack being read: <see cref="Count"/> uses from <see cref="First"/> on.</summary>
internal readonly record struct NeededBlob(BlobId Id, BlobLocation Location, int First, int Count);

/// <summary>
/// Reads the needed blobs of one pack with as few ranged reads as possible (neighbouring blobs
/// closer than <see cref="MaxGap"/> share one read, streamed blob by blob into pooled buffers),
/// opens each blob and writes it to every file that uses it. A blob that cannot be read or
/// opened does not stop the restore: it is tried once more from <paramref name="retryStore"/>
/// (another copy, or the whole pack verified against its SHA-256), and if that fails too, every
/// file using it is marked failed and the restore goes on with the rest.
/// </summary>
internal sealed class PackReader(BackupRepository repo, FileWriteContext files, Action<FileTarget> fileDone, Func<IObjectStore>? retryStore, Action<FileTarget, int>? written = null)
{
    private const long MaxGap = 1 << 20;

    public async Task RestorePackAsync(PackUses pack, CancellationToken ct)
    {
        var uses = pack.Uses;
        var blobs = new List<NeededBlob>();
        for (var start = 0; start < uses.Length;)
        {
            var end = start + 1;
            while (end < uses.Length && uses[end].Location.Offset == uses[start].Location.Offset)
            {
                end++;
            }

            blobs.Add(new NeededBlob(uses[start].BlobId, uses[start].Location, start, end - start));
            start = end;
        }

        var packKey = ObjectKeys.Pack(repo.Index.PackId(pack.Pack));
        using var codec = repo.CreateCodec(files.Pool);
        var failed = await ReadBlobsAsync(repo.Store, packKey, uses, blobs, codec, ct).ConfigureAwait(false);
        if (failed.Count > 0 && retryStore is not null)
        {
            var first = failed;
            failed = await ReadBlobsAsync(retryStore(), packKey, uses, [.. first.Select(f => f.Blob)], codec, ct).ConfigureAwait(false);
            var firstReasons = first.ToDictionary(f => f.Blob.Id, f => f.Reason);
            failed = [.. failed.Select(f => (f.Blob, $"{firstReasons[f.Blob.Id]}; no good copy elsewhere either ({f.Reason})"))];
        }

        foreach (var (blob, reason) in failed)
        {
            foreach (var use in uses.AsSpan(blob.First, blob.Count))
            {
                use.File.Fail($"chunk {use.Index} ({blob.Id.ToShortString()}): {reason}");
            }
        }
    }

    /// <summary>Reads <paramref name="blobs"/> (sorted by offset) from <paramref name="store"/>; returns those that could not be restored, with why.</summary>
    private async Task<List<(NeededBlob Blob, string Reason)>> ReadBlobsAsync(
        IObjectStore store, string packKey, ChunkUse[] uses, List<NeededBlob> blobs, BlobCodec codec, CancellationToken ct)
    {
        var failed = new List<(NeededBlob, string)>();
        var start = 0;
        while (start < blobs.Count)
        {
            var end = start + 1;
            while (end < blobs.Count && blobs[end].Location.Offset - End(blobs[end - 1]) <= MaxGap)
            {
                end++;
            }

            await RestoreRangeAsync(store, packKey, uses, blobs, start, end, codec, failed, ct).ConfigureAwait(false);
            start = end;
        }

        return failed;
    }

    private static long End(NeededBlob b) => (long)b.Location.Offset + b.Location.Length;

    private async Task RestoreRangeAsync(
        IObjectStore store, string packKey, ChunkUse[] uses, List<NeededBlob> blobs, int start, int end, BlobCodec codec, List<(NeededBlob, string)> failed, CancellationToken ct)
    {
        long position = blobs[start].Location.Offset;
        var range = new ByteRange(position, End(blobs[end - 1]) - position);
        var i = start;
        try
        {
            var stream = await store.GetAsync(packKey, range, ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                for (; i < end; i++)
                {
                    var blob = blobs[i];
                    if (blob.Location.Offset < position)
                    {
                        continue; // same blob listed twice cannot happen; defensive against overlapping entries
                    }

                    await SkipAsync(stream, blob.Location.Offset - position, ct).ConfigureAwait(false);
                    var sealedBuffer = files.Pool.Rent((int)blob.Location.Length);
                    try
                    {
                        var read = await StoreExtensions.ReadFullyAsync(stream, sealedBuffer.AsMemory(0, (int)blob.Location.Length), ct).ConfigureAwait(false);
                        position = blob.Location.Offset + (long)read;
                        if (read != blob.Location.Length)
                        {
                            throw new EndOfStreamException($"{packKey} is shorter than the index says");
                        }

                        if (Open(packKey, blob, uses.AsSpan(blob.First, blob.Count), codec, sealedBuffer.AsSpan(0, read)) is { } reason)
                        {
                            failed.Add((blob, reason));
                        }
                    }
                    finally
                    {
                        files.Pool.Return(sealedBuffer);
                    }
                }
            }
        }
        catch (Exception e) when (e is ObjectStoreException or IOException && !ct.IsCancellationRequested)
        {
            // The read broke off: this blob and the rest of the range were not restored from this copy.
            for (; i < end; i++)
            {
                failed.Add((blobs[i], $"{store.Description}: {packKey}: {e.Message}"));
            }
        }
    }

    /// <summary>Opens a blob and writes it to its files; returns why it could not be opened, or null.</summary>
    private string? Open(string packKey, NeededBlob blob, ReadOnlySpan<ChunkUse> uses, BlobCodec codec, ReadOnlySpan<byte> sealedBlob)
    {
        byte[] plain;
        try
        {
            plain = codec.Open(blob.Id, blob.Location, sealedBlob);
        }
        catch (Exception e) when (e is CryptographicException or InvalidDataException)
        {
            return $"{packKey}: blob {blob.Id.ToShortString()} is corrupt ({e.Message})";
        }

        try
        {
            var data = plain.AsSpan(0, (int)blob.Location.PlainLength);
            foreach (var (file, index, _) in uses)
            {
                try
                {
                    var complete = file.Write(index, data, files);
                    written?.Invoke(file, data.Length);
                    if (complete)
                    {
                        fileDone(file);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The destination's problem (full, read-only), not the copy's: no retry.
                    file.Fail($"cannot write {file.Path}: {e.Message}");
                }
            }
        }
        finally
        {
            files.Pool.Return(plain);
        }

        return null;
    }

    private async Task SkipAsync(Stream stream, long count, CancellationToken ct)
    {
        if (count <= 0)
        {
            return;
        }

        var scratch = files.Pool.Rent((int)Math.Min(count, 1 << 20));
        try
        {
            while (count > 0)
            {
                var n = await stream.ReadAsync(scratch.AsMemory(0, (int)Math.Min(count, scratch.Length)), ct).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new EndOfStreamException("pack ended early");
                }

                count -= n;
            }
        }
        finally
        {
            files.Pool.Return(scratch);
        }
    }
}
