using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
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
/// <remarks>
/// A restore plans every file before it writes one, so this object exists once per file of the
/// snapshot for the whole restore (a million files: a million of them); what it holds is kept
/// to what every file needs all along (docs/decisions.md §66). Its paths are not stored: the
/// directory's two path strings are shared by every file in it. The tree node is not kept (it
/// holds inode, ctime, a subtree id and a chunk array only a backup needs): the name, size,
/// hash, metadata and chunk ids are copied out of it, a file of one chunk holding its id inline.
/// Chunk offsets are kept only for a file of more than one chunk. Everything needed only while
/// the file is being written — which chunks are claimed and written, the hash, the handle, the
/// temporary name — is a <see cref="WriteState"/> made by the first chunk and dropped when the
/// file is renamed or discarded. Files share a fixed set of locks (<see cref="Gate"/>) instead of
/// one lock object each.
/// </remarks>
internal sealed class FileTarget
{
    /// <summary>Appended to the real name of a file that could not be verified, when the restore keeps damaged files.</summary>
    public const string DamagedSuffix = ".drorch-damaged";

    private const long PreallocateThreshold = 1 << 20;

    /// <summary>The granularity of holes a sparse file gets back (the usual file-system block).</summary>
    private const int SparseBlock = 4096;

    /// <summary>Locks shared by all files (a file's is chosen by its identity hash): sections are short and never nested, and at most a few workers write at once.</summary>
    private const int LockCount = 1024;

    private static readonly Lock[] Locks = [.. Enumerable.Range(0, LockCount).Select(_ => new Lock())];

    private readonly string _directory;
    private readonly string _snapshotDirectory;

    /// <summary>The chunk ids of a file of two chunks or more; null otherwise (the one chunk is <see cref="_onlyChunk"/>).</summary>
    private readonly BlobId[]? _chunks;
    private readonly BlobId _onlyChunk;
    private readonly NodeMetadata _metadata;

    /// <summary>Offsets of chunk i (and the end), for a file of two chunks or more; null otherwise (its one chunk is at 0).</summary>
    private long[]? _offsets;
    private long _plannedSize;
    private WriteState? _write;
    private string? _failure;
    private readonly int _chunkCount;
    private readonly bool _sparse;
    private bool _prepared;
    private bool _restored;
    private bool _keptDamaged;

    /// <summary>Takes from <paramref name="node"/> what restoring it needs (not the node: it holds what only a backup uses).</summary>
    public FileTarget(string directory, string snapshotDirectory, TreeNode node)
    {
        _directory = directory;
        _snapshotDirectory = snapshotDirectory;
        Name = node.Name;
        Size = node.Size;
        FileHash = node.FileHash;
        _metadata = NodeMetadata.Of(node);
        _sparse = node.Sparse;
        _chunkCount = node.Content.Length;
        if (_chunkCount == 1)
        {
            _onlyChunk = node.Content[0];
        }
        else if (_chunkCount > 1)
        {
            _chunks = node.Content;
        }

        if (node.Links > 1)
        {
            LinkIdentity = new HardLinkIdentity(node.Device, node.Inode);
        }
    }

    public string Name { get; }

    /// <summary>Size recorded at backup.</summary>
    public long Size { get; }

    /// <summary>SHA-256 of the file's content, recorded at backup.</summary>
    public BlobId FileHash { get; }

    /// <summary>The inode the file was a hard link to at backup (more than one link recorded); null otherwise.</summary>
    public HardLinkIdentity? LinkIdentity { get; }

    public int ChunkCount => _chunkCount;

    /// <summary>Where the file goes: its directory under the destination and its name.</summary>
    public string Path => string.Concat(_directory, "/", Name);

    public string SnapshotPath => _snapshotDirectory.Length == 0 ? Name : string.Concat(_snapshotDirectory, "/", Name);

    /// <summary>Why the file could not be restored; null while it can still be (or was) restored.</summary>
    public string? Failure
    {
        get
        {
            lock (Gate)
            {
                return _failure;
            }
        }
    }

    /// <summary>The file is under its real name, verified.</summary>
    public bool Restored => Volatile.Read(ref _restored);

    /// <summary>Where the damaged content was kept (<c>--keep-damaged</c>); null otherwise.</summary>
    public string? DamagedPath => _keptDamaged ? Path + DamagedSuffix : null;

    /// <summary>The file holds its write state (chunks claimed, hash, handle): from its first chunk until it is renamed or discarded.</summary>
    public bool Writing => Volatile.Read(ref _write) is not null;

    public long PlannedSize => _plannedSize;

    // The identity hash lives in the object header: no field per file for its lock.
    private Lock Gate => Locks[(uint)RuntimeHelpers.GetHashCode(this) % LockCount];

    /// <summary>The id of chunk <paramref name="index"/>.</summary>
    public BlobId Chunk(int index) => _chunks is null ? (index == 0 && _chunkCount == 1 ? _onlyChunk : throw new ArgumentOutOfRangeException(nameof(index))) : _chunks[index];

    /// <summary>Takes the chunk lengths (plain, from the index); only then can chunks be written.</summary>
    public void Prepare(ReadOnlySpan<uint> chunkLengths)
    {
        if (chunkLengths.Length != _chunkCount)
        {
            throw new ArgumentException($"{chunkLengths.Length} lengths for {_chunkCount} chunks", nameof(chunkLengths));
        }

        if (chunkLengths.Length > 1)
        {
            _offsets = new long[chunkLengths.Length + 1];
            for (var i = 0; i < chunkLengths.Length; i++)
            {
                _offsets[i + 1] = _offsets[i] + chunkLengths[i];
            }

            _plannedSize = _offsets[^1];
        }
        else
        {
            _plannedSize = chunkLengths.Length == 1 ? chunkLengths[0] : 0;
        }

        _prepared = true;
    }

    /// <summary>Marks the file as not restorable (the first reason is kept); later chunks for it are ignored unless it is to be kept.</summary>
    public void Fail(string reason)
    {
        lock (Gate)
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
        WriteState state;
        SafeFileHandle handle;
        lock (Gate)
        {
            // A failed file still takes the chunks that can be read when it is to be kept as
            // NAME.drorch-damaged (as much of it as possible); it is never completed or renamed.
            if ((_failure is not null && !context.KeepDamaged) || !_prepared || _restored)
            {
                return false;
            }

            state = _write ??= new WriteState(_chunkCount);
            if (state.Chunks[index] != ChunkState.Pending)
            {
                return false;
            }

            state.Chunks[index] = ChunkState.Claimed;
            handle = state.Handle ??= Create(state, context);
        }

        WriteAt(handle, data, Offset(index));
        lock (Gate)
        {
            state.Chunks[index] = ChunkState.Written;
            if (state.Hashing || index != state.NextToHash || _failure is not null)
            {
                return false; // the hashing thread (or a later writer of the gap) picks it up
            }

            state.Hashing = true;
        }

        state.Hash.AppendData(data);
        return HashOnwards(state, index + 1, context);
    }

    /// <summary>
    /// Runs while this thread owns hashing: hashes every further chunk already written (reading it
    /// back), then gives up ownership. The check for "written" and the release of ownership happen
    /// under the same lock as writers' checks, so no chunk is ever left unhashed.
    /// </summary>
    private bool HashOnwards(WriteState state, int next, FileWriteContext context)
    {
        while (true)
        {
            lock (Gate)
            {
                state.NextToHash = next;
                if (next == state.Chunks.Length)
                {
                    state.Hashing = false;
                    break;
                }

                if (state.Chunks[next] != ChunkState.Written)
                {
                    state.Hashing = false;
                    return false;
                }
            }

            HashFromDisk(state, next, context.Pool);
            next++;
        }

        return Complete(state, context);
    }

    /// <summary>Creates an empty file (no chunks), verifies it and renames it into place; false when that failed.</summary>
    public bool WriteEmpty(FileWriteContext context)
    {
        WriteState state;
        lock (Gate)
        {
            state = _write = new WriteState(0);
            state.Handle = Create(state, context);
        }

        return Complete(state, context);
    }

    /// <summary>
    /// For a file that was not restored, once nothing writes any more: closes it and takes its
    /// temporary file away — renamed to <c>NAME.drorch-damaged</c> when <paramref name="keep"/>
    /// (and something was written), deleted otherwise. A damaged file never has its real name.
    /// Drops the file's write state either way.
    /// </summary>
    public void Discard(bool keep, bool overwrite)
    {
        WriteState? state;
        lock (Gate)
        {
            state = _write;
            _write = null;
        }

        if (state is null)
        {
            return; // nothing was written, or the file is restored (its state went with the rename)
        }

        state.Handle?.Dispose();
        state.Hash.Dispose();
        if (_restored || state.TempPath is not { } temp)
        {
            return;
        }

        if (keep)
        {
            try
            {
                UnixFileSystem.Rename(temp, Path + DamagedSuffix, overwrite);
                _keptDamaged = true;
                return;
            }
            catch (IOException)
            {
                // Name too long or taken: the damaged copy is dropped rather than left under a temporary name.
            }
        }

        File.Delete(temp);
    }

    private long Offset(int index) => _offsets is null ? 0 : _offsets[index];

    private int ChunkLength(int index) => (int)(_offsets is null ? _plannedSize : _offsets[index + 1] - _offsets[index]);

    /// <summary>
    /// Writes a chunk at its offset; for a file that was sparse at backup, only the 4 KiB blocks
    /// holding a non-zero byte are written, so all-zero blocks stay holes (the file's length was
    /// set when it was created).
    /// </summary>
    private void WriteAt(SafeFileHandle handle, ReadOnlySpan<byte> data, long offset)
    {
        if (!_sparse)
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

    private void HashFromDisk(WriteState state, int index, ArrayPool<byte> pool)
    {
        var length = ChunkLength(index);
        var buffer = pool.Rent(Math.Max(1, length));
        try
        {
            var read = RandomAccess.Read(state.Handle!, buffer.AsSpan(0, length), Offset(index));
            state.Hash.AppendData(buffer, 0, read);
        }
        finally
        {
            pool.Return(buffer);
        }
    }

    /// <summary>
    /// Verifies the hash; applies owner, mode, extended attributes and mtime through the handle;
    /// renames the file to its real name; then hands the handle to the page-cache releaser and
    /// drops the write state. A mismatch or a failed rename marks the file failed (the temporary
    /// file is discarded later).
    /// </summary>
    private bool Complete(WriteState state, FileWriteContext context)
    {
        var actual = new BlobId(state.Hash.GetHashAndReset());
        var handle = state.Handle!;
        if (actual != FileHash)
        {
            Fail($"checksum mismatch: expected SHA-256 {FileHash}, got {actual}");
            return false;
        }

        var path = Path;
        try
        {
            // Through the open handle: no path lookups, and nothing can swap the file underneath.
            RestoreMetadata.Apply(handle, path, _metadata, context);
            if (context.Overwrite)
            {
                RestoreMetadata.RemoveDirectory(path); // a file or symlink there is replaced by the rename itself
            }

            UnixFileSystem.Rename(state.TempPath!, path, context.Overwrite);
        }
        catch (IOException e)
        {
            Fail(e.Message);
            return false;
        }

        lock (Gate)
        {
            _write = null; // the releaser owns the handle now; Discard finds nothing to close
            _restored = true;
        }

        state.Hash.Dispose();
        context.Finished.Release(handle, PlannedSize);
        return true;
    }

    private SafeFileHandle Create(WriteState state, FileWriteContext context)
    {
        state.TempPath = string.Concat(_directory, "/", context.TempName());

        // CreateNew = O_CREAT|O_EXCL: never follows a symlink planted at this path.
        // Preallocate big files (one extent, no fragmentation); for small ones it is a wasted syscall.
        // A sparse file is never preallocated: its length is set instead, which allocates nothing.
        var preallocate = !_sparse && PlannedSize >= PreallocateThreshold ? PlannedSize : 0;
        var handle = File.OpenHandle(state.TempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, preallocate);
        if (_sparse)
        {
            RandomAccess.SetLength(handle, PlannedSize);
        }

        return handle;
    }

    private enum ChunkState : byte
    {
        Pending,
        Claimed,
        Written,
    }

    /// <summary>What a file needs only while it is being written; guarded by the file's <see cref="Gate"/>.</summary>
    private sealed class WriteState(int chunks)
    {
        public ChunkState[] Chunks { get; } = new ChunkState[chunks];

        public int NextToHash { get; set; }

        public bool Hashing { get; set; }

        public IncrementalHash Hash { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public SafeFileHandle? Handle { get; set; }

        public string? TempPath { get; set; }
    }
}

/// <summary>Device and inode of a file that had more than one link at backup: files with the same one are one link group.</summary>
internal sealed record HardLinkIdentity(ulong Device, ulong Inode);
