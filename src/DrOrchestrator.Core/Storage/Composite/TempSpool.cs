using System.Buffers;
using System.Security.Cryptography;

namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>
/// Temporary files that hold one object while it is verified or fanned out, so a 16 MiB pack
/// never sits in memory. Files are deleted when closed (and by the OS if the process dies on
/// Unix, since nothing else holds them open).
/// </summary>
internal static class TempSpool
{
    private const int BufferSize = 81920;

    public static FileStream Create() =>
        new(Path.Combine(Path.GetTempPath(), $"drorch-{Guid.NewGuid():N}.tmp"), new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            // Readers of a fan-out open the same file by name while this handle keeps it alive.
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
            BufferSize = BufferSize,
        });

    /// <summary>Opens another read-only handle on an existing file, positioned at <paramref name="position"/>.</summary>
    public static FileStream OpenReader(string path, long position)
    {
        var reader = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = BufferSize,
        });
        reader.Position = position;
        return reader;
    }

    /// <summary>Copies <paramref name="source"/> to its end into <paramref name="destination"/>, returning length and SHA-256.</summary>
    public static async Task<(long Length, byte[] Sha256)> CopyHashingAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long length = 0;
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                length += read;
            }

            return (length, hash.GetHashAndReset());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads the whole object into a temp file and, when <paramref name="expectedSha256"/> is given,
    /// checks it against that (the SHA-256 a pack key names). Returns the file rewound to 0 on
    /// success; on a mismatch disposes it and says why.
    /// </summary>
    public static async Task<VerifiedDownload> DownloadAsync(
        IObjectStore store, string key, byte[]? expectedSha256, CancellationToken cancellationToken)
    {
        var file = Create();
        try
        {
            var source = await store.GetAsync(key, range: null, cancellationToken).ConfigureAwait(false);
            (long Length, byte[] Sha256) copied;
            await using (source.ConfigureAwait(false))
            {
                copied = await CopyHashingAsync(source, file, cancellationToken).ConfigureAwait(false);
            }

            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (expectedSha256 is not null && !CryptographicOperations.FixedTimeEquals(copied.Sha256, expectedSha256))
            {
                await file.DisposeAsync().ConfigureAwait(false);
                return new VerifiedDownload(null, copied.Length,
                    $"SHA-256 mismatch: content ({copied.Length} bytes) hashes to {Convert.ToHexStringLower(copied.Sha256)}");
            }

            file.Position = 0;
            return new VerifiedDownload(file, copied.Length, null);
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}

/// <summary>A verified pack in a temp file (<see cref="Content"/>), or why the copy was bad (<see cref="Mismatch"/>).</summary>
internal sealed record VerifiedDownload(FileStream? Content, long Length, string? Mismatch);
