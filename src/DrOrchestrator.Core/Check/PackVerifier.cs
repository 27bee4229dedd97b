using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Threading.Channels;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Check;

/// <summary>
/// Downloads one pack into a delete-on-close temp file while hashing it (the pack id must equal
/// the SHA-256 of its bytes), checks its header opens, then decrypts and re-hashes every blob the
/// index places in it.
/// </summary>
internal sealed class PackVerifier(BackupRepository repo, ChannelWriter<CheckFinding> findings)
{
    public async Task<List<(BlobId Blob, string Reason)>> VerifyAsync(BlobId packId, List<KeyValuePair<BlobId, BlobLocation>> blobs, CancellationToken ct)
    {
        var key = ObjectKeys.Pack(packId);
        var temp = Path.Combine(BackupRepository.TempDirectory, $"drorch-check-{Guid.NewGuid():N}.tmp");
        await using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            if (await DownloadCheckedAsync(key, packId, file, ct).ConfigureAwait(false) is { } problem)
            {
                Emit(problem.Severity, key, problem.Message);
            }
        }
        catch (ObjectStoreException e)
        {
            Emit(CheckSeverity.Error, key, $"pack cannot be read: {e.Message}");
            return [.. blobs.Select(b => (b.Key, "pack cannot be read"))];
        }

        var header = ReadHeader(key, file);
        if (header is not null)
        {
            CompareWithIndex(key, header, blobs);
        }

        return VerifyBlobs(file, blobs);
    }

    /// <summary>
    /// A pack no index names (left by an interrupted backup or upload): harmless, unless its bytes
    /// do not match its name — then it is a damaged object under a pack's key (a truncated
    /// fragment after a killed upload), reported as damaged. No snapshot uses it, so it is a
    /// warning; the next writer with its content overwrites it, prune removes it.
    /// </summary>
    public async Task VerifyUnreferencedAsync(BlobId packId, CancellationToken ct)
    {
        var key = ObjectKeys.Pack(packId);
        var temp = Path.Combine(BackupRepository.TempDirectory, $"drorch-check-{Guid.NewGuid():N}.tmp");
        await using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            var problem = await DownloadCheckedAsync(key, packId, file, ct).ConfigureAwait(false);
            Emit(problem is null ? CheckSeverity.Info : CheckSeverity.Warning, key, problem is null
                ? "unreferenced pack (left by an interrupted backup)"
                : $"unreferenced pack is damaged: {problem.Value.Message} (no snapshot uses it: the leftover of an interrupted upload; the next backup or copy that has its content overwrites it, prune removes it)");
        }
        catch (ObjectStoreException e)
        {
            Emit(CheckSeverity.Warning, key, $"unreferenced pack cannot be read: {e.Message}");
        }
    }

    /// <summary>
    /// Downloads the pack into <paramref name="file"/>; null when its bytes hash to its id, else
    /// what is wrong. Bytes can be damaged on their way as well as at rest: a mismatching pack is
    /// read again (a new request) before the stored copy is called damaged — damaged at rest when
    /// two reads give the same wrong hash, intact when a later read matches, unverifiable when
    /// three reads all differ (a connection that damages every read).
    /// </summary>
    private async Task<(CheckSeverity Severity, string Message)?> DownloadCheckedAsync(string key, BlobId packId, FileStream file, CancellationToken ct)
    {
        const int maxReads = 3;
        var wrong = new List<BlobId>();
        var failedReads = new List<string>();
        ObjectStoreException? lastError = null;
        for (var read = 0; read < maxReads; read++)
        {
            file.SetLength(0);
            BlobId actual;
            try
            {
                actual = await DownloadAsync(key, file, ct).ConfigureAwait(false);
            }
            catch (ObjectStoreException e) when (e is not ObjectNotFoundException && e.IsTransient)
            {
                // Failed inside the body (a reset, the SDK's own checksum): a read error, read again.
                lastError = e;
                failedReads.Add($"read {read + 1} failed ({e.Message})");
                continue;
            }

            if (actual == packId)
            {
                return failedReads.Count == 0
                    ? null
                    : (CheckSeverity.Warning,
                        $"read error in transit: {string.Join(", ", failedReads)}, read {read + 1} matched the pack's id; the stored pack is intact");
            }

            if (wrong.Contains(actual))
            {
                return (CheckSeverity.Error,
                    $"pack content does not match its id (SHA-256 is {actual.ToShortString()}…, the same on a second read): the pack is damaged at rest");
            }

            wrong.Add(actual);
            failedReads.Add($"read {read + 1} hashed to {actual.ToShortString()}…");
        }

        if (wrong.Count == 0 && lastError is not null)
        {
            throw lastError;
        }

        return (CheckSeverity.Error,
            $"pack content does not match its id on {maxReads} reads that all disagree or fail ({string.Join(", ", failedReads)}): read errors in transit; the stored pack could not be verified");
    }

    private async Task<BlobId> DownloadAsync(string key, FileStream file, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            var stream = await repo.Store.GetAsync(key, null, ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                int n;
                while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        await file.FlushAsync(ct).ConfigureAwait(false);
        return new BlobId(hash.GetHashAndReset());
    }

    /// <summary>Every blob the index places in this pack must be listed by the pack's own header at the same place.</summary>
    private void CompareWithIndex(string key, List<PackEntry> header, List<KeyValuePair<BlobId, BlobLocation>> blobs)
    {
        var byId = new Dictionary<BlobId, PackEntry>(header.Count);
        foreach (var e in header)
        {
            byId.TryAdd(e.Id, e);
        }

        foreach (var (id, loc) in blobs)
        {
            if (!byId.TryGetValue(id, out var e) || e.Offset != loc.Offset || e.Length != loc.Length || e.Type != loc.Type)
            {
                Emit(CheckSeverity.Error, key, $"index entry for blob {id.ToShortString()} disagrees with the pack header");
            }
        }
    }

    private List<PackEntry>? ReadHeader(string key, FileStream file)
    {
        try
        {
            Span<byte> lengthField = stackalloc byte[PackHeader.LengthFieldSize];
            RandomAccess.Read(file.SafeFileHandle, lengthField, file.Length - PackHeader.LengthFieldSize);
            var length = BinaryPrimitives.ReadInt32LittleEndian(lengthField);
            if (length <= 0 || length > file.Length - PackHeader.LengthFieldSize)
            {
                throw new FormatException($"header length {length} is impossible");
            }

            var header = new byte[length];
            RandomAccess.Read(file.SafeFileHandle, header, file.Length - PackHeader.LengthFieldSize - length);
            using var aead = repo.Key.CreateAead();
            return PackHeader.Open(header, aead);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            Emit(CheckSeverity.Error, key, $"pack header is damaged: {e.Message}");
            return null;
        }
    }

    private List<(BlobId, string)> VerifyBlobs(FileStream file, List<KeyValuePair<BlobId, BlobLocation>> blobs)
    {
        var bad = new List<(BlobId, string)>();
        var pool = ArrayPool<byte>.Shared;
        using var codec = repo.CreateCodec(pool);
        foreach (var (id, loc) in blobs)
        {
            if (loc.Offset + (long)loc.Length > file.Length)
            {
                bad.Add((id, "blob lies beyond the end of its pack"));
                continue;
            }

            var sealedBlob = pool.Rent((int)loc.Length);
            try
            {
                RandomAccess.Read(file.SafeFileHandle, sealedBlob.AsSpan(0, (int)loc.Length), loc.Offset);
                var plain = codec.Open(id, loc, sealedBlob.AsSpan(0, (int)loc.Length));
                var matches = BlobId.Hash(plain.AsSpan(0, (int)loc.PlainLength)) == id;
                pool.Return(plain);
                if (!matches)
                {
                    bad.Add((id, "content does not match its id"));
                }
            }
            catch (Exception e) when (e is CryptographicException or InvalidDataException)
            {
                bad.Add((id, $"cannot be decrypted or decompressed ({e.Message})"));
            }
            finally
            {
                pool.Return(sealedBlob);
            }
        }

        return bad;
    }

    private void Emit(CheckSeverity severity, string key, string message) =>
        findings.TryWrite(new CheckFinding(severity, key, message, []));
}
