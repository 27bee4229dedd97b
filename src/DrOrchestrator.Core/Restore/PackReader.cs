using System.Buffers;
using System.Security.Cryptography;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Restore;

/// <summary>A blob a restore needs, and every (file, chunk index) that uses it.</summary>
internal sealed record NeededBlob(BlobId Id, BlobLocation Location, List<(FileTarget File, int Index)> Targets);

/// <summary>
/// Reads the needed blobs of one pack with as few ranged reads as possible (neighbouring blobs
/// closer than <see cref="MaxGap"/> share one read, streamed blob by blob into pooled buffers),
/// opens each blob and writes it to every file that uses it.
/// </summary>
internal sealed class PackReader(BackupRepository repo, FileWriteContext files, Action<FileTarget> fileDone)
{
    private const long MaxGap = 1 << 20;

    public async Task RestorePackAsync(int pack, List<NeededBlob> blobs, CancellationToken ct)
    {
        blobs.Sort((a, b) => a.Location.Offset.CompareTo(b.Location.Offset));
        var packKey = ObjectKeys.Pack(repo.Index.PackId(pack));
        using var codec = repo.CreateCodec(files.Pool);
        var start = 0;
        while (start < blobs.Count)
        {
            var end = start + 1;
            while (end < blobs.Count && blobs[end].Location.Offset - End(blobs[end - 1]) <= MaxGap)
            {
                end++;
            }

            await RestoreRangeAsync(packKey, blobs, start, end, codec, ct).ConfigureAwait(false);
            start = end;
        }
    }

    private static long End(NeededBlob b) => (long)b.Location.Offset + b.Location.Length;

    private async Task RestoreRangeAsync(string packKey, List<NeededBlob> blobs, int start, int end, BlobCodec codec, CancellationToken ct)
    {
        long position = blobs[start].Location.Offset;
        var range = new ByteRange(position, End(blobs[end - 1]) - position);
        var stream = await repo.Store.GetAsync(packKey, range, ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            for (var i = start; i < end; i++)
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
                        throw Corrupt(packKey, blob, "pack is shorter than the index says");
                    }

                    WriteBlob(packKey, blob, codec, sealedBuffer.AsSpan(0, read));
                }
                finally
                {
                    files.Pool.Return(sealedBuffer);
                }
            }
        }
    }

    private void WriteBlob(string packKey, NeededBlob blob, BlobCodec codec, ReadOnlySpan<byte> sealedBlob)
    {
        byte[] plain;
        try
        {
            plain = codec.Open(blob.Id, blob.Location, sealedBlob);
        }
        catch (Exception e) when (e is CryptographicException or InvalidDataException)
        {
            throw Corrupt(packKey, blob, e.Message);
        }

        try
        {
            var data = plain.AsSpan(0, (int)blob.Location.PlainLength);
            foreach (var (file, index) in blob.Targets)
            {
                if (file.Write(index, data, files))
                {
                    fileDone(file);
                }
            }
        }
        finally
        {
            files.Pool.Return(plain);
        }
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

    private static RepositoryCorruptException Corrupt(string packKey, NeededBlob blob, string reason) =>
        new($"{packKey}: blob {blob.Id.ToShortString()} is corrupt ({reason}); affects {string.Join(", ", blob.Targets.Select(t => t.File.Path).Distinct())}");
}
