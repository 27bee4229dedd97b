using System.Buffers.Binary;
using System.Security.Cryptography;
using DrOrchestrator.Core.Security;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// The local copy of one repository's built blob index (docs/decisions.md §24): the pack table and
/// the sorted bucket arrays of <see cref="CompactBlobTable"/> written as they sit in memory, with
/// the ids of the index objects they were built from, so a later open reads one file sequentially
/// into arrays of their exact size instead of downloading, decrypting, decoding and sorting every
/// index object.
/// </summary>
/// <remarks>
/// <para>File <c>&lt;repository id&gt;.index</c>: "DRORCHIX" | version u32 | repository id[32] |
/// index object count u32 | their ids[32] sorted | <see cref="RepositoryIndex.WriteTo"/> |
/// HMAC-SHA256 of everything before it, keyed by <see cref="MasterKey.DeriveKey"/>. A file whose
/// MAC fails (damaged, truncated, edited, another repository's or another key's) is ignored, never
/// partly used: the caller reads the index objects and writes a new file. The counts are checked
/// against the file's length before anything is allocated, so a damaged header cannot make the
/// reader allocate more than the file holds.</para>
/// <para>Writers write a temporary file of their own and rename it over the old one: two processes
/// saving at once leave one complete file (the last rename), a reader keeps the file it opened,
/// and a killed writer leaves a temporary file that the next save removes once it is an hour old.
/// The content is not encrypted: blob ids and sizes, in a folder of mode 0700 and a file of mode
/// 0600, on the host that holds the repository key anyway.</para>
/// </remarks>
internal sealed class IndexCache
{
    private const int Version = 1;
    private const int MacSize = 32;
    private const int HeadSize = 8 + 4 + BlobId.Size + 4;
    private const string KeyPurpose = "drorch local index cache v1";
    private const string TempMarker = ".tmp-";

    private static readonly TimeSpan StaleTemp = TimeSpan.FromHours(1);

    private readonly string _directory;
    private readonly BlobId _repositoryId;
    private readonly byte[] _macKey;

    private IndexCache(string directory, BlobId repositoryId, MasterKey key)
    {
        _directory = directory;
        _repositoryId = repositoryId;
        _macKey = key.DeriveKey(KeyPurpose);
        FilePath = Path.Combine(directory, repositoryId + ".index");
    }

    public string FilePath { get; }

    private static ReadOnlySpan<byte> Magic => "DRORCHIX"u8;

    /// <summary>The cache of this repository, or null when there is none to keep (no options, a big-endian host, an id that is not 64 hex digits).</summary>
    public static IndexCache? For(IndexCacheOptions? options, RepositoryConfig config, MasterKey key) =>
        options is not null && BitConverter.IsLittleEndian && BlobId.TryParse(config.RepositoryId, out var id)
            ? new IndexCache(options.Directory, id, key)
            : null;

    /// <summary>An index read back from the file, and the index objects it was built from.</summary>
    public sealed record Entry(RepositoryIndex Index, IReadOnlySet<BlobId> IndexObjects);

    /// <summary>
    /// The cached index, or null with the reason (null reason: there is no file yet). Only an
    /// index whose every byte the MAC covers is returned.
    /// </summary>
    public Entry? TryLoad(out string? problem)
    {
        FileStream file;
        try
        {
            file = new FileStream(FilePath, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                BufferSize = 1 << 20,
                Options = FileOptions.SequentialScan,
            });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            problem = null;
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"{FilePath}: {e.Message}";
            return null;
        }

        using (file)
        using (var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _macKey))
        {
            try
            {
                var entry = Read(file, new MacStream(file, mac));
                Span<byte> stored = stackalloc byte[MacSize];
                file.ReadExactly(stored);
                if (!CryptographicOperations.FixedTimeEquals(stored, mac.GetHashAndReset()))
                {
                    problem = $"{FilePath}: MAC does not match (damaged, or written with another key); ignored";
                    return null;
                }

                problem = null;
                return entry;
            }
            catch (Exception e) when (e is FormatException or EndOfStreamException or IOException)
            {
                problem = $"{FilePath}: {e.Message}; ignored";
                return null;
            }
        }
    }

    private Entry Read(FileStream file, MacStream body)
    {
        var length = file.Length;
        if (length < HeadSize + MacSize)
        {
            throw new FormatException($"{length} bytes is too short for an index cache");
        }

        Span<byte> head = stackalloc byte[HeadSize];
        body.ReadExactly(head);
        if (!head[..8].SequenceEqual(Magic) || BinaryPrimitives.ReadInt32LittleEndian(head[8..]) != Version)
        {
            throw new FormatException("not an index cache of this version");
        }

        if (new BlobId(head.Slice(12, BlobId.Size)) != _repositoryId)
        {
            throw new FormatException("the cache belongs to another repository");
        }

        var objects = BinaryPrimitives.ReadInt32LittleEndian(head[(12 + BlobId.Size)..]);
        var rest = length - HeadSize - MacSize;
        if (objects < 0 || (long)objects * BlobId.Size > rest)
        {
            throw new FormatException($"{objects} index objects do not fit in {length} bytes");
        }

        var ids = new HashSet<BlobId>(objects);
        Span<byte> id = stackalloc byte[BlobId.Size];
        for (var i = 0; i < objects; i++)
        {
            body.ReadExactly(id);
            ids.Add(new BlobId(id));
        }

        var index = RepositoryIndex.ReadFrom(body, rest - ((long)objects * BlobId.Size));
        return new Entry(index, ids);
    }

    /// <summary>
    /// Writes <paramref name="index"/> as built from <paramref name="indexObjects"/> (temporary file,
    /// then a rename over the old one). IOException or UnauthorizedAccessException when the folder
    /// cannot be written; the caller goes on without a cache.
    /// </summary>
    public void Save(RepositoryIndex index, IEnumerable<BlobId> indexObjects)
    {
        CreatePrivateDirectory(_directory);
        RemoveStaleTemps();
        var temp = $"{FilePath}{TempMarker}{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 1 << 20 };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var file = new FileStream(temp, options))
            using (var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _macKey))
            {
                var body = new MacStream(file, mac);
                var ids = indexObjects.Order().ToList();
                Span<byte> head = stackalloc byte[HeadSize];
                Magic.CopyTo(head);
                BinaryPrimitives.WriteInt32LittleEndian(head[8..], Version);
                _repositoryId.WriteTo(head[12..]);
                BinaryPrimitives.WriteInt32LittleEndian(head[(12 + BlobId.Size)..], ids.Count);
                body.Write(head);
                Span<byte> id = stackalloc byte[BlobId.Size];
                foreach (var objectId in ids)
                {
                    objectId.WriteTo(id);
                    body.Write(id);
                }

                index.WriteTo(body);
                file.Write(mac.GetHashAndReset());
            }

            File.Move(temp, FilePath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private static void CreatePrivateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>Temporary files of this repository's cache older than an hour: left by a killed writer (a save takes seconds).</summary>
    private void RemoveStaleTemps()
    {
        foreach (var temp in Directory.EnumerateFiles(_directory, Path.GetFileName(FilePath) + TempMarker + "*"))
        {
            try
            {
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(temp) > StaleTemp)
                {
                    File.Delete(temp);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another process removed it first, or it is not ours to remove: either way not in our way.
            }
        }
    }

    /// <summary>Passes reads or writes through to the file and adds every byte to the MAC.</summary>
    private sealed class MacStream(Stream inner, IncrementalHash mac) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            mac.AppendData(buffer[..n]);
            return n;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            mac.AppendData(buffer);
            inner.Write(buffer);
        }

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

/// <summary>How <see cref="BackupRepository.OpenAsync(Storage.IObjectStore, RepositoryKey, IndexCacheOptions?, CancellationToken)"/> built the blob index.</summary>
/// <param name="ObjectsListed">Index objects the store listed.</param>
/// <param name="ObjectsRead">Of those, how many were downloaded and decoded (the others came from the cache).</param>
/// <param name="FromCache">The local cache was used.</param>
/// <param name="CacheWritten">The local cache was (re)written.</param>
/// <param name="CacheProblem">Why a cache file was not used or not written (null when there was nothing wrong).</param>
internal sealed record IndexLoadReport(int ObjectsListed, int ObjectsRead, bool FromCache, bool CacheWritten, string? CacheProblem);
