using System.Collections.Concurrent;
using System.Security.Cryptography;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Security;

namespace DrOrchestrator.Core.Backup;

/// <summary>
/// The read → chunk → hash → compress → encrypt stages. Readers (one per core, at least two)
/// open files, chunk them with large sequential reads and compute the whole-file SHA-256; each
/// chunk is copied into a pooled buffer and handed to the workers through a bounded channel.
/// Workers (one per core) hash chunks and hand them to the <see cref="RepositoryWriter"/>, which
/// drops the ones the repository or this run already has and compresses + encrypts the rest in
/// the worker's thread before the packer takes them. A file that is a single chunk is hashed once:
/// its chunk id is its file hash.
/// </summary>
internal sealed class ContentStage(BackupRun run, Func<string, Stream> openFile)
{
    public async Task ReadFilesAsync(CancellationToken ct)
    {
        using var reader = new ChunkReader(run.Repo.CreateChunker(), run.Pool);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await foreach (var file in run.Files.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            await ReadFileAsync(file, reader, hash, ct).ConfigureAwait(false);
        }
    }

    public async Task SealChunksAsync(CancellationToken ct)
    {
        using var codec = run.Writer.CreateCodec();
        await foreach (var job in run.Chunks.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            var id = job.KnownId ?? BlobId.Hash(job.Buffer.AsSpan(Aead.NonceSize, job.Length));
            if (job.File.SetId(job.Index, id))
            {
                run.FileComplete(job.File);
            }

            // The writer takes the buffer: it drops chunks the repository or this run already has.
            await run.Writer.SaveChunkAsync(codec, id, job.Buffer, job.Length, ct).ConfigureAwait(false);
        }
    }

    private async Task ReadFileAsync(PendingFile file, ChunkReader reader, IncrementalHash hash, CancellationToken ct)
    {
        await ReadAndChunkAsync(file, reader, hash, ct).ConfigureAwait(false);
        if (file.ReadingDone())
        {
            run.FileComplete(file);
        }
    }

    private async Task ReadAndChunkAsync(PendingFile file, ChunkReader reader, IncrementalHash hash, CancellationToken ct)
    {
        Stream stream;
        try
        {
            stream = openFile(file.Path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            LeaveOut(file, run.Warnings, "vanished before it could be read");
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(file, $"cannot open: {e.Message}");
            return;
        }

        await using (stream.ConfigureAwait(false))
        {
            try
            {
                await ChunkFileAsync(file, stream, reader, hash, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                hash.GetHashAndReset();
                Fail(file, $"read failed: {e.Message}");
                return;
            }
        }

        Interlocked.Add(ref run.BytesRead, reader.BytesRead);

        // The snapshot records what was read (a growing file's size is its bytes stored), and so do the totals.
        Interlocked.Add(ref run.TotalBytes, reader.BytesRead - file.Stat.Size);
        CheckUnchangedWhileRead(file, reader.BytesRead);
        run.FileDone(0, file.Path); // its bytes were counted chunk by chunk (ChunkRead)
    }

    private async Task ChunkFileAsync(PendingFile file, Stream stream, ChunkReader reader, IncrementalHash hash, CancellationToken ct)
    {
        reader.Reset(stream);
        var first = true;
        while (true)
        {
            var chunk = await reader.NextAsync(ct).ConfigureAwait(false);
            if (chunk.IsEmpty)
            {
                if (first)
                {
                    file.Node.FileHash = BlobId.Hash([]);
                }

                break;
            }

            run.ChunkRead(chunk.Length, file.Path);
            BlobId? known = null;
            if (first && reader.AtEnd)
            {
                // The whole file is one chunk: its SHA-256 is both the chunk id and the file hash.
                known = BlobId.Hash(chunk.Span);
                file.Node.FileHash = known.Value;
            }
            else
            {
                hash.AppendData(chunk.Span);
            }

            // Room for nonce and tag around the chunk: the worker seals it in place.
            var buffer = run.Pool.Rent(chunk.Length + Aead.Overhead);
            chunk.Span.CopyTo(buffer.AsSpan(Aead.NonceSize));
            var index = file.AddSlot();
            await run.Chunks.Writer.WriteAsync(new ChunkJob(file, index, buffer, chunk.Length, known), ct).ConfigureAwait(false);
            if (known is not null)
            {
                break;
            }

            first = false;
        }

        if (!first)
        {
            file.Node.FileHash = new BlobId(hash.GetHashAndReset());
        }

        file.Node.Size = reader.BytesRead;
    }

    private void CheckUnchangedWhileRead(PendingFile file, long bytesRead)
    {
        var after = UnixFileSystem.LStat(file.Path, out _);
        if (bytesRead != file.Stat.Size || after is not { } st || st.Size != file.Stat.Size || st.MTimeNs != file.Stat.MTimeNs)
        {
            run.Warnings.Enqueue(new BackupIssue(file.Path, "changed while being read; stored as read"));
        }
    }

    private void Fail(PendingFile file, string message) => LeaveOut(file, run.Errors, message);

    /// <summary>The file is not in the snapshot: it is an error or warning, and no longer counted among the files and bytes backed up.</summary>
    private void LeaveOut(PendingFile file, ConcurrentQueue<BackupIssue> issues, string message)
    {
        file.Failed = true;
        Interlocked.Decrement(ref run.TotalFiles);
        Interlocked.Add(ref run.TotalBytes, -file.Stat.Size);
        Interlocked.Decrement(ref file.IsNew ? ref run.FilesNew : ref run.FilesChanged);
        issues.Enqueue(new BackupIssue(file.Path, message));
    }
}
