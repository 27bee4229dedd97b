using System.Buffers;
using System.Security.Cryptography;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;
using Microsoft.Win32.SafeHandles;

namespace DrOrchestrator.Core.Restore;

/// <summary>
/// One file being restored. Chunks arrive in any order (packs are read in parallel); each is
/// written at its offset. The SHA-256 is computed in file order: a chunk that arrives in order is
/// hashed from memory, and chunks that arrived early are hashed by reading them back (from the
/// page cache) once the gap before them closes — no chunk is held in memory waiting.
/// </summary>
internal sealed class FileTarget(string path, string snapshotPath, TreeNode node)
{
    private const long PreallocateThreshold = 1 << 20;
    private readonly Lock _lock = new();
    private long[]? _offsets;
    private bool[]? _written;
    private int _remaining = -1;
    private int _nextToHash;
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

        _written = new bool[chunkLengths.Count];
        _remaining = chunkLengths.Count;
    }

    public long PlannedSize => _offsets![^1];

    /// <summary>Writes chunk <paramref name="index"/>; returns true when this completed and verified the file.</summary>
    public bool Write(int index, ReadOnlySpan<byte> data, bool overwrite, ArrayPool<byte> pool)
    {
        lock (_lock)
        {
            if (_written![index])
            {
                return false;
            }

            _handle ??= Create(overwrite);
            _hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            RandomAccess.Write(_handle, data, _offsets![index]);
            _written[index] = true;
            if (index == _nextToHash)
            {
                _hash.AppendData(data);
                _nextToHash++;
                HashWrittenRun(pool);
            }

            if (--_remaining > 0)
            {
                return false;
            }

            Complete();
            return true;
        }
    }

    /// <summary>Creates an empty file (no chunks) and verifies it.</summary>
    public void WriteEmpty(bool overwrite)
    {
        lock (_lock)
        {
            _handle = Create(overwrite);
            _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Complete();
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

    private void HashWrittenRun(ArrayPool<byte> pool)
    {
        while (_nextToHash < _written!.Length && _written[_nextToHash])
        {
            var length = (int)(_offsets![_nextToHash + 1] - _offsets[_nextToHash]);
            var buffer = pool.Rent(Math.Max(1, length));
            try
            {
                var read = RandomAccess.Read(_handle!, buffer.AsSpan(0, length), _offsets[_nextToHash]);
                _hash!.AppendData(buffer, 0, read);
            }
            finally
            {
                pool.Return(buffer);
            }

            _nextToHash++;
        }
    }

    private void Complete()
    {
        var actual = new BlobId(_hash!.GetHashAndReset());
        _hash.Dispose();
        using (_handle)
        {
            if (actual != Node.FileHash)
            {
                throw new ChecksumMismatchException(Path, Node.FileHash.ToString(), actual.ToString());
            }

            // Through the open handle: no path lookups, and nothing can swap the file underneath.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(_handle!, (UnixFileMode)(Node.Mode & 0xFFF));
            }

            UnixFileSystem.SetModificationTime(_handle!, Node.MTimeNs);
        }
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
