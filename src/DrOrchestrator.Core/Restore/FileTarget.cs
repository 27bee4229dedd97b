using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;
using Microsoft.Win32.SafeHandles;

namespace DrOrchestrator.Core.Restore;

/// <summary>
/// What every file of one restore writes with: the overwrite choice, the buffer pool, where
/// finished files go, how damaged files are treated, and the metadata problems met on the way.
/// </summary>
internal sealed class FileWriteContext(RestoreRequest request, ArrayPool<byte> pool, PageCacheReleaser finished)
{
    /// <summary>Per restore, so two restores into one directory never pick the same temporary name.</summary>
    private readonly string _tempPrefix = ".drorch-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)) + "-";
    private long _tempCount;

    public bool Overwrite => request.Overwrite;

    public bool KeepDamaged => request.KeepDamaged;

    /// <summary>Owners are restored when running as root, unless the request says not to.</summary>
    public bool RestoreOwners { get; } = !request.SkipOwners && UnixFileSystem.IsRoot;

    public ArrayPool<byte> Pool => pool;

    public PageCacheReleaser Finished => finished;

    /// <summary>Metadata that could not be applied (an owner without root, an xattr the file system refuses).</summary>
    public ConcurrentQueue<RestoreIssue> Warnings { get; } = new();

    /// <summary>A short name for a file being written, unique in this restore (a name of the snapshot may be as long as NAME_MAX allows).</summary>
    public string TempName() => _tempPrefix + Interlocked.Increment(ref _tempCount).ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// One file being restored. Chunks arrive in any order (packs are read in parallel); each is
/// written at its offset with pwrite, outside any lock, so several threads can fill one file.
/// The SHA-256 is computed in file order by one thread at a time (whoever writes the next
/// expected chunk takes the job): a chunk that arrives in order is hashed from memory, chunks
/// that arrived early are hashed by reading them back (from the page cache) once the gap before
/// them closes — no chunk is held in memory waiting, and no thread waits on another's hashing.
/// The file is written under a temporary name in its directory and renamed to its real name
/// only once its SHA-256 matched: the rename is what makes a file restored. A file whose chunk
/// could not be read, or whose hash does not match, is marked failed; once every reader has
/// stopped, <see cref="Discard"/> removes its temporary file (or keeps it as
/// <c>NAME.drorch-damaged</c>).
/// </summary>
internal sealed class FileTarget(string path, string snapshotPath, TreeNode node)
{
    /// <summary>Appended to the real name of a file that could not be verified, when the restore keeps damaged files.</summary>
    public const string DamagedSuffix = ".drorch-damaged";

    private const long PreallocateThreshold = 1 << 20;

    /// <summary>The granularity of holes a sparse file gets back (the usual file-system block).</summary>
    private const int SparseBlock = 4096;

    private readonly Lock _lock = new();
    private long[]? _offsets;
    private bool[]? _claimed;
    private bool[]? _written;
    private int _nextToHash;
    private bool _hashing;
    private IncrementalHash? _hash;
    private SafeFileHandle? _handle;
    private string? _tempPath;
    private string? _failure;
    private bool _restored;

    public string Path { get; } = path;

    public string SnapshotPath { get; } = snapshotPath;

    public TreeNode Node { get; } = node;

    /// <summary>Why the file could not be restored; null while it can still be (or was) restored.</summary>
    public string? Failure
    {
        get
        {
            lock (_lock)
            {
                return _failure;
            }
        }
    }

    /// <summary>The file is under its real name, verified.</summary>
    public bool Restored => Volatile.Read(ref _restored);

    /// <summary>Where the damaged content was kept (<c>--keep-damaged</c>); null otherwise.</summary>
    public string? DamagedPath { get; private set; }

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

    /// <summary>Marks the file as not restorable (the first reason is kept); later chunks for it are ignored unless it is to be kept.</summary>
    public void Fail(string reason)
    {
        lock (_lock)
        {
            if (_failure is null && !_restored)
            {
                _failure = reason;
            }
        }
    }

    /// <summary>Writes chunk <paramref name="index"/>; returns true when this call completed, verified and renamed the file.</summary>
    public bool Write(int index, ReadOnlySpan<byte> data, FileWriteContext context)
    {
        SafeFileHandle handle;
        lock (_lock)
        {
            // A failed file still takes the chunks that can be read when it is to be kept as
            // NAME.drorch-damaged (as much of it as possible); it is never completed or renamed.
            if ((_failure is not null && !context.KeepDamaged) || _claimed is null || _claimed[index])
            {
                return false;
            }

            _claimed[index] = true;
            handle = _handle ??= Create(context);
            _hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }

        WriteAt(handle, data, _offsets![index]);
        lock (_lock)
        {
            _written![index] = true;
            if (_hashing || index != _nextToHash || _failure is not null)
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

        return Complete(context);
    }

    /// <summary>Creates an empty file (no chunks), verifies it and renames it into place; false when that failed.</summary>
    public bool WriteEmpty(FileWriteContext context)
    {
        lock (_lock)
        {
            _handle = Create(context);
            _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }

        return Complete(context);
    }

    /// <summary>
    /// For a file that was not restored, once nothing writes any more: closes it and takes its
    /// temporary file away — renamed to <c>NAME.drorch-damaged</c> when <paramref name="keep"/>
    /// (and something was written), deleted otherwise. A damaged file never has its real name.
    /// </summary>
    public void Discard(bool keep, bool overwrite)
    {
        _handle?.Dispose();
        _handle = null;
        _hash?.Dispose();
        if (_restored || _tempPath is not { } temp)
        {
            return;
        }

        if (keep)
        {
            try
            {
                UnixFileSystem.Rename(temp, Path + DamagedSuffix, overwrite);
                DamagedPath = Path + DamagedSuffix;
                return;
            }
            catch (IOException)
            {
                // Name too long or taken: the damaged copy is dropped rather than left under a temporary name.
            }
        }

        File.Delete(temp);
    }

    /// <summary>
    /// Writes a chunk at its offset; for a file that was sparse at backup, only the 4 KiB blocks
    /// holding a non-zero byte are written, so all-zero blocks stay holes (the file's length was
    /// set when it was created).
    /// </summary>
    private void WriteAt(SafeFileHandle handle, ReadOnlySpan<byte> data, long offset)
    {
        if (!Node.Sparse)
        {
            RandomAccess.Write(handle, data, offset);
            return;
        }

        var position = 0;
        while (position < data.Length)
        {
            var blockEnd = (int)Math.Min(data.Length, position + SparseBlock - ((offset + position) % SparseBlock));
            if (!data[position..blockEnd].ContainsAnyExcept((byte)0))
            {
                position = blockEnd;
                continue;
            }

            var runStart = position;
            do
            {
                position = blockEnd;
                blockEnd = Math.Min(data.Length, position + SparseBlock);
            }
            while (position < data.Length && data[position..blockEnd].ContainsAnyExcept((byte)0));

            RandomAccess.Write(handle, data[runStart..position], offset + runStart);
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

    /// <summary>
    /// Verifies the hash; applies owner, mode, extended attributes and mtime through the handle;
    /// renames the file to its real name; then hands the handle to the page-cache releaser.
    /// A mismatch or a failed rename marks the file failed (the temporary file is discarded later).
    /// </summary>
    private bool Complete(FileWriteContext context)
    {
        var actual = new BlobId(_hash!.GetHashAndReset());
        var handle = _handle!;
        if (actual != Node.FileHash)
        {
            Fail($"checksum mismatch: expected SHA-256 {Node.FileHash}, got {actual}");
            return false;
        }

        try
        {
            // Through the open handle: no path lookups, and nothing can swap the file underneath.
            RestoreMetadata.Apply(handle, Path, Node, context);
            if (context.Overwrite)
            {
                RestoreMetadata.RemoveDirectory(Path); // a file or symlink there is replaced by the rename itself
            }

            UnixFileSystem.Rename(_tempPath!, Path, context.Overwrite);
        }
        catch (IOException e)
        {
            Fail(e.Message);
            return false;
        }

        lock (_lock)
        {
            _handle = null; // the releaser owns it now; Discard must not close it again
            _restored = true;
        }

        _hash.Dispose();
        context.Finished.Release(handle, PlannedSize);
        return true;
    }

    private SafeFileHandle Create(FileWriteContext context)
    {
        _tempPath = string.Concat(Path.AsSpan(0, Path.LastIndexOf('/') + 1), context.TempName());

        // CreateNew = O_CREAT|O_EXCL: never follows a symlink planted at this path.
        // Preallocate big files (one extent, no fragmentation); for small ones it is a wasted syscall.
        // A sparse file is never preallocated: its length is set instead, which allocates nothing.
        var preallocate = !Node.Sparse && PlannedSize >= PreallocateThreshold ? PlannedSize : 0;
        var handle = File.OpenHandle(_tempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, preallocate);
        if (Node.Sparse)
        {
            RandomAccess.SetLength(handle, PlannedSize);
        }

        return handle;
    }
}
