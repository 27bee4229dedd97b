using System.Buffers;
using System.Security.Cryptography;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;
using Microsoft.Win32.SafeHandles;

namespace DrOrchestrator.Core.Restore;

/// <summary>What every file of one restore writes with: the overwrite choice, the buffer pool, and where finished files go.</summary>
internal sealed record FileWriteContext(bool Overwrite, ArrayPool<byte> Pool, PageCacheReleaser Finished);

/// <summary>
/// One file being restored. Chunks arrive in any order (packs are read in parallel); each is
/// written at its offset with pwrite, outside any lock, so several threads can fill one file.
/// The SHA-256 is computed in file order by one thread at a time (whoever writes the next
/// expected chunk takes the job): a chunk that arrives in order is hashed from memory, chunks
/// that arrived early are hashed by reading them back (from the page cache) once the gap before
/// them closes — no chunk is held in memory waiting, and no thread waits on another's hashing.
/// </summary>
internal sealed class FileTarget(string path, string snapshotPath, TreeNode node)
{
    private const long PreallocateThreshold = 1 << 20;
    private readonly Lock _lock = new();
    private long[]? _offsets;
    private bool[]? _claimed;
    private bool[]? _written;
    private int _nextToHash;
    private bool _hashing;
    private IncrementalHash? _hash;
    private SafeFileHandle? _handle;

    public string Path { get; } = path;

    public string SnapshotPath { get; } = snapshotPath;

    public TreeNode Node { get; } = node;

    /// <summary>Fills chunk offsets from the index (plain lengths).</summary>
    public void Prepare(IReadOnlyList<uint> chunkLengths)
    {
        _offsets = new long[chunkLengths.Count + 1];
        for (var i = 0; i < chunkLengths.Count; i++)
        {
            _offsets[i + 1] = _offsets[i] + chunkLengths[i];
        }

        _claimed = new bool[chunkLengths.Count];
        _written = new bool[chunkLengths.Count];
    }

    public long PlannedSize => _offsets![^1];

    /// <summary>Writes chunk <paramref name="index"/>; returns true when this call completed and verified the file.</summary>
    public bool Write(int index, ReadOnlySpan<byte> data, FileWriteContext context)
    {
        SafeFileHandle handle;
        lock (_lock)
        {
            if (_claimed![index])
            {
                return false;
            }

            _claimed[index] = true;
            handle = _handle ??= Create(context.Overwrite);
            _hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }

        RandomAccess.Write(handle, data, _offsets![index]);
        lock (_lock)
        {
            _written![index] = true;
            if (_hashing || index != _nextToHash)
            {
                return false; // the hashing thread (or a later writer of the gap) picks it up
            }

            _hashing = true;
        }

        _hash!.AppendData(data);
        return HashOnwards(index + 1, context);
    }

    /// <summary>
    /// Runs while this thread owns hashing: hashes every further chunk already written (reading it
    /// back), then gives up ownership. The check for "written" and the release of ownership happen
    /// under the same lock as writers' checks, so no chunk is ever left unhashed.
    /// </summary>
    private bool HashOnwards(int next, FileWriteContext context)
    {
        while (true)
        {
            lock (_lock)
            {
                _nextToHash = next;
                if (next == _written!.Length)
                {
                    _hashing = false;
                    break;
                }

                if (!_written[next])
                {
                    _hashing = false;
                    return false;
                }
            }

            HashFromDisk(next, context.Pool);
            next++;
        }

        Complete(context.Finished);
        return true;
    }

    /// <summary>Creates an empty file (no chunks) and verifies it.</summary>
    public void WriteEmpty(FileWriteContext context)
    {
        lock (_lock)
        {
            _handle = Create(context.Overwrite);
            _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Complete(context.Finished);
        }
    }

    /// <summary>Closes the file if a failed or cancelled restore left it open (it stays partial on disk).</summary>
    public void Abort()
    {
        lock (_lock)
        {
            _handle?.Dispose();
            _hash?.Dispose();
        }
    }

    private void HashFromDisk(int index, ArrayPool<byte> pool)
    {
        var length = (int)(_offsets![index + 1] - _offsets[index]);
        var buffer = pool.Rent(Math.Max(1, length));
        try
        {
            var read = RandomAccess.Read(_handle!, buffer.AsSpan(0, length), _offsets[index]);
            _hash!.AppendData(buffer, 0, read);
        }
        finally
        {
            pool.Return(buffer);
        }
    }

    /// <summary>Verifies the hash, applies mode and mtime through the handle, then hands the handle to <paramref name="finished"/>.</summary>
    private void Complete(PageCacheReleaser finished)
    {
        var actual = new BlobId(_hash!.GetHashAndReset());
        _hash.Dispose();
        var handle = _handle!;
        _handle = null; // from here on the releaser (or this method, on failure) owns it; Abort must not close it again
        try
        {
            if (actual != Node.FileHash)
            {
                throw new ChecksumMismatchException(Path, Node.FileHash.ToString(), actual.ToString());
            }

            // Through the open handle: no path lookups, and nothing can swap the file underneath.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(handle, (UnixFileMode)(Node.Mode & 0xFFF));
            }

            UnixFileSystem.SetModificationTime(handle, Node.MTimeNs);
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        finished.Release(handle, PlannedSize);
    }

    private SafeFileHandle Create(bool overwrite)
    {
        if (overwrite)
        {
            RestoreMetadata.RemoveExisting(Path);
        }

        // CreateNew = O_CREAT|O_EXCL: never follows a symlink planted at this path.
        // Preallocate big files (one extent, no fragmentation); for small ones it is a wasted syscall.
        var preallocate = PlannedSize >= PreallocateThreshold ? PlannedSize : 0;
        return File.OpenHandle(Path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, preallocate);
    }
}
