using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Threading.Channels;
using DrOrchestrator.Core.Security;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// The one way into a repository: builds one snapshot from any number of sources. Blobs are
/// deduplicated (against the index and everything this writer saved), compressed, encrypted and
/// packed by the <see cref="PackPipeline"/> it owns, which runs from <see cref="Start"/> to the
/// commit. The file archiver feeds it through the internal chunk and tree methods; a database
/// source adds named streams with <see cref="AddStreamAsync"/> (chunked on the fly, no temp file,
/// bounded memory); each source describes itself with <see cref="AddSource"/>. Then
/// <see cref="CommitSnapshotAsync"/> writes the root tree of every source's entries, makes every
/// pack durable, writes the indexes and only then the snapshot object (FORMAT.md, "Crash safety").
/// </summary>
/// <remarks>
/// Blob, stream and entry methods may be called concurrently (several sources at once);
/// <see cref="FlushAsync"/> and <see cref="CommitSnapshotAsync"/> must not overlap them.
/// Disposing a writer that has not committed abandons it: unsent packs are deleted and no
/// snapshot is written. Packs and indexes already stored stay (harmless; the next backup dedups
/// against them). One writer per repository at a time.
/// </remarks>
public sealed class RepositoryWriter : IAsyncDisposable
{
    private readonly BackupRepository _repo;
    private readonly ConcurrentDictionary<BlobId, byte> _seen = new();
    private readonly ConcurrentBag<BlobCodec> _codecs = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _entriesLock = new();
    private readonly Dictionary<string, TreeNode> _rootEntries = new(StringComparer.Ordinal);
    private readonly ItemDirectory _items = new();
    private readonly List<SnapshotSource> _sources = [];
    private PackPipeline _pipeline;
    private long _bytesNew;
    private long _bytesStored;
    private long _chunksNew;
    private bool _committed;

    private RepositoryWriter(BackupRepository repo)
    {
        _repo = repo;
        Started = DateTimeOffset.UtcNow;
        _pipeline = new PackPipeline(repo, Pool);
    }

    /// <summary>Starts a writer (and its packer and uploaders) on an opened repository.</summary>
    public static RepositoryWriter Start(BackupRepository repository)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return new RepositoryWriter(repository);
    }

    public BackupRepository Repository => _repo;

    /// <summary>When the writer started; the snapshot's <see cref="Snapshot.Time"/>.</summary>
    public DateTimeOffset Started { get; }

    /// <summary>What this writer has stored so far.</summary>
    public RepositoryWriterStatistics Statistics => new(
        Interlocked.Read(ref _bytesNew), Interlocked.Read(ref _bytesStored), Interlocked.Read(ref _chunksNew));

    internal ArrayPool<byte> Pool => BufferPool.Engine;

    /// <summary>Cancelled when the pack pipeline failed (see <see cref="ThrowIfFaulted"/>) or the writer was abandoned.</summary>
    internal CancellationToken Aborted => _pipeline.Aborted;

    /// <summary>
    /// Chunks <paramref name="content"/> (a stream of unknown length, read once, to its end) and
    /// places it as a file at <paramref name="itemPath"/> ('/'-separated, e.g.
    /// <c>pg/orders/data.sql</c>) in the snapshot's tree; its directories are created. Chunks are
    /// hashed, compressed and encrypted on every core while the stream is read, and only chunks
    /// the repository lacks are stored. The file's node gets mode 0600 and the current time.
    /// </summary>
    /// <exception cref="ArgumentException">The path is not a valid relative path, or an item is already there.</exception>
    public async Task<StoredStream> AddStreamAsync(string itemPath, Stream content, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        var segments = SplitItemPath(itemPath);
        lock (_entriesLock)
        {
            _items.Reserve(segments, itemPath, _rootEntries);
        }

        var (chunks, hash, length) = await SaveStreamAsync(content, ct).ConfigureAwait(false);
        var node = new TreeNode
        {
            Name = segments[^1],
            Type = NodeType.File,
            Mode = 0x180, // 0600: dumps hold whole databases
            MTimeNs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000,
            Size = length,
            Content = chunks,
            FileHash = hash,
        };
        lock (_entriesLock)
        {
            _items.Place(segments, node);
        }

        return new StoredStream(hash.ToString(), length, chunks.Length);
    }

    /// <summary>Stores a small data blob (e.g. a source's manifest) and returns its id (hex) for <see cref="SnapshotSource.Manifest"/>.</summary>
    public async Task<string> SaveBlobAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var id = BlobId.Hash(data.Span);
        var codec = RentCodec();
        try
        {
            await SaveAsync(codec, BlobType.Data, id, data.Span, ct).ConfigureAwait(false);
        }
        finally
        {
            _codecs.Add(codec);
        }

        return id.ToString();
    }

    /// <summary>Records a source of the snapshot. Its <see cref="SnapshotSource.Entries"/> must be the root entries it added.</summary>
    public void AddSource(SnapshotSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        lock (_entriesLock)
        {
            _sources.Add(source);
        }
    }

    /// <summary>
    /// Closes the open packs, waits until every pack is durable and writes their index; the writer
    /// can go on afterwards (with new packs). A long-running writer such as a repacker calls it to
    /// bound what a crash would cost.
    /// </summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        var pipeline = _pipeline;
        await pipeline.CompleteAsync(ct).ConfigureAwait(false);
        _pipeline = new PackPipeline(_repo, Pool);
    }

    /// <summary>
    /// Writes the root tree (every source's entries), makes every pack durable, writes their
    /// indexes and then the snapshot object. The snapshot's recovery point is the earliest of its
    /// sources'; its time is <see cref="Started"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No source was added, or the writer already committed.</exception>
    public async Task<Snapshot> CommitSnapshotAsync(SnapshotDraft draft, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (_committed)
        {
            throw new InvalidOperationException("this writer has already committed its snapshot");
        }

        List<SnapshotSource> sources;
        List<TreeNode> root;
        lock (_entriesLock)
        {
            sources = [.. _sources];
            root = [.. _rootEntries.Values];
        }

        if (sources.Count == 0)
        {
            throw new InvalidOperationException("a snapshot needs at least one source");
        }

        var codec = RentCodec();
        BlobId rootId;
        try
        {
            root.AddRange(await _items.EncodeAsync(this, codec, ct).ConfigureAwait(false));
            root.Sort(TreeCodec.CompareNames);
            rootId = await SaveTreeAsync(codec, root, ct).ConfigureAwait(false);
        }
        finally
        {
            _codecs.Add(codec);
        }

        // Packs are durable (their put or staged commit returned); then the index that points into them; the snapshot last.
        await _pipeline.CompleteAsync(ct).ConfigureAwait(false);
        _committed = true;
        var stats = Statistics;
        var f = draft.Figures;
        var snapshot = new Snapshot(
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            Started,
            sources.Min(s => s.RecoveryPoint),
            Environment.MachineName,
            [.. sources.SelectMany(s => s.Paths)],
            draft.PolicyName,
            new Dictionary<string, string>(draft.Tags ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            rootId.ToString(),
            draft.ParentId,
            new SnapshotSummary(
                f.FilesNew, f.FilesChanged, f.FilesUnmodified, f.Directories, f.TotalFiles, f.TotalBytes, f.BytesRead,
                stats.BytesNew, stats.BytesStored, stats.ChunksNew, _clock.Elapsed, f.Warnings, f.Errors),
            sources);
        await _repo.SaveSnapshotAsync(snapshot, ct).ConfigureAwait(false);
        return snapshot;
    }

    /// <summary>Abandons an uncommitted writer: stops the pipeline and deletes pack files never stored.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_committed)
        {
            await _pipeline.AbortAsync().ConfigureAwait(false);
        }

        while (_codecs.TryTake(out var codec))
        {
            codec.Dispose();
        }
    }

    /// <summary>Rethrows the pipeline's failure (a store error, say) if it had one.</summary>
    internal void ThrowIfFaulted() => _pipeline.Fault?.Throw();

    internal BlobCodec CreateCodec() => _repo.CreateCodec(Pool);

    /// <summary>Adds finished root entries (the file archiver's top-level nodes); a name taken by another source is refused.</summary>
    internal void AddRootEntries(IEnumerable<TreeNode> entries)
    {
        lock (_entriesLock)
        {
            foreach (var entry in entries)
            {
                if (_items.Has(entry.Name) || !_rootEntries.TryAdd(entry.Name, entry))
                {
                    throw new ArgumentException($"two sources of the snapshot store an entry named \"{entry.Name}\"");
                }
            }
        }
    }

    /// <summary>
    /// Saves one chunk sealed in place: the plain chunk is <c>buffer[12..12+length]</c> (room for
    /// nonce and tag around it). The writer takes the buffer: it is returned to the pool when the
    /// chunk is already stored, else by the packer. True when the chunk was new.
    /// </summary>
    internal async ValueTask<bool> SaveChunkAsync(BlobCodec codec, BlobId id, byte[] buffer, int length, CancellationToken ct)
    {
        if (!Claim(id))
        {
            Pool.Return(buffer);
            return false;
        }

        var blob = codec.SealInPlace(BlobType.Data, id, buffer, length);
        Interlocked.Add(ref _bytesNew, length);
        Interlocked.Increment(ref _chunksNew);
        await EnqueueAsync(blob, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Packs a blob that is already sealed (prune's repacker moves used blobs out of a mostly unused
    /// pack): no dedup against the index, which still lists the old copy; the bytes are copied.
    /// </summary>
    internal ValueTask CopySealedBlobAsync(PackEntry entry, ReadOnlyMemory<byte> sealedBlob, CancellationToken ct)
    {
        if (!_seen.TryAdd(entry.Id, 0))
        {
            return ValueTask.CompletedTask;
        }

        var buffer = Pool.Rent(sealedBlob.Length);
        sealedBlob.Span.CopyTo(buffer);
        return EnqueueAsync(new SealedBlob(entry.Type, entry.Id, buffer, sealedBlob.Length, entry.PlainLength, entry.Compressed), ct);
    }

    /// <summary>Encodes a directory listing and saves it unless the repository or this writer has it.</summary>
    internal ValueTask<BlobId> SaveTreeAsync(BlobCodec codec, List<TreeNode> nodes, CancellationToken ct)
    {
        var encoded = TreeCodec.Encode(nodes);
        var id = BlobId.Hash(encoded);
        var saving = SaveAsync(codec, BlobType.Tree, id, encoded, ct);
        return saving.IsCompletedSuccessfully ? ValueTask.FromResult(id) : AwaitAsync(saving, id);

        static async ValueTask<BlobId> AwaitAsync(ValueTask saving, BlobId id)
        {
            await saving.ConfigureAwait(false);
            return id;
        }
    }

    /// <summary>True when neither the repository nor this writer has the blob; the caller must then store it.</summary>
    private bool Claim(BlobId id) => !_repo.Index.Contains(id) && _seen.TryAdd(id, 0);

    private ValueTask SaveAsync(BlobCodec codec, BlobType type, BlobId id, ReadOnlySpan<byte> plain, CancellationToken ct)
    {
        if (!Claim(id))
        {
            return ValueTask.CompletedTask;
        }

        var blob = codec.Seal(type, id, plain);
        if (type == BlobType.Data)
        {
            Interlocked.Add(ref _bytesNew, plain.Length);
            Interlocked.Increment(ref _chunksNew);
        }

        return EnqueueAsync(blob, ct);
    }

    private ValueTask EnqueueAsync(SealedBlob blob, CancellationToken ct)
    {
        Interlocked.Add(ref _bytesStored, blob.Length);
        var write = _pipeline.Sealed.Writer.WriteAsync(blob, ct);
        return write.IsCompletedSuccessfully ? ValueTask.CompletedTask : AwaitWriteAsync(write, blob);
    }

    private async ValueTask AwaitWriteAsync(ValueTask write, SealedBlob blob)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
        {
            Pool.Return(blob.Buffer);
            // The pipeline closed the channel with its own failure: that is the error to report.
            ThrowIfFaulted();
            throw;
        }
    }

    private BlobCodec RentCodec() => _codecs.TryTake(out var codec) ? codec : CreateCodec();

    /// <summary>Reads a stream to its end: one reader chunks it, one worker per core hashes and seals the chunks.</summary>
    private async Task<(BlobId[] Chunks, BlobId Hash, long Length)> SaveStreamAsync(Stream content, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct, Aborted);
        var token = cts.Token;
        var workerCount = Math.Max(1, Environment.ProcessorCount);
        var jobs = Channel.CreateBounded<(int Index, byte[] Buffer, int Length)>(new BoundedChannelOptions(workerCount) { SingleWriter = true });
        var ids = new List<BlobId>();
        var workers = Enumerable.Range(0, workerCount).Select(_ => Task.Run(async () =>
        {
            var codec = RentCodec();
            try
            {
                await foreach (var (index, buffer, length) in jobs.Reader.ReadAllAsync(token).ConfigureAwait(false))
                {
                    var id = BlobId.Hash(buffer.AsSpan(Aead.NonceSize, length));
                    lock (ids)
                    {
                        ids[index] = id;
                    }

                    await SaveChunkAsync(codec, id, buffer, length, token).ConfigureAwait(false);
                }
            }
            catch
            {
                await cts.CancelAsync().ConfigureAwait(false);
                throw;
            }
            finally
            {
                _codecs.Add(codec);
            }
        }, CancellationToken.None)).ToArray();

        using var reader = new ChunkReader(_repo.CreateChunker(), Pool);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        ExceptionDispatchInfo? readFailure = null;
        try
        {
            reader.Reset(content);
            while (true)
            {
                var chunk = await reader.NextAsync(token).ConfigureAwait(false);
                if (chunk.IsEmpty)
                {
                    break;
                }

                hash.AppendData(chunk.Span);
                var buffer = Pool.Rent(chunk.Length + Aead.Overhead);
                chunk.Span.CopyTo(buffer.AsSpan(Aead.NonceSize));
                int index;
                lock (ids)
                {
                    index = ids.Count;
                    ids.Add(default);
                }

                await jobs.Writer.WriteAsync((index, buffer, chunk.Length), token).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            readFailure = ExceptionDispatchInfo.Capture(e);
            await cts.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            jobs.Writer.TryComplete();
            await Task.WhenAll(workers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            while (jobs.Reader.TryRead(out var left))
            {
                Pool.Return(left.Buffer);
            }
        }

        // The first real failure, not the cancellations it caused: the pipeline's (a store error),
        // a worker's, then the reader's own (the stream failed, or the caller cancelled).
        ThrowIfFaulted();
        if (workers.FirstOrDefault(w => w.IsFaulted && w.Exception!.InnerException is not OperationCanceledException) is { } failed)
        {
            await failed.ConfigureAwait(false);
        }

        readFailure?.Throw();
        ct.ThrowIfCancellationRequested();
        lock (ids)
        {
            return ([.. ids], new BlobId(hash.GetHashAndReset()), reader.BytesRead);
        }
    }

    private static string[] SplitItemPath(string itemPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(itemPath);
        var segments = itemPath.Split('/');
        if (segments.Any(s => s.Length == 0 || s == "." || s == ".." || s.Contains('\0', StringComparison.Ordinal)))
        {
            throw new ArgumentException($"item path \"{itemPath}\" must be relative, '/'-separated, without empty, '.' or '..' segments");
        }

        return segments;
    }

    /// <summary>The directories of the named stream items, encoded bottom-up at commit.</summary>
    private sealed class ItemDirectory
    {
        private readonly Dictionary<string, ItemDirectory> _directories = new(StringComparer.Ordinal);
        private readonly Dictionary<string, TreeNode?> _files = new(StringComparer.Ordinal);

        public bool Has(string name) => _directories.ContainsKey(name) || _files.ContainsKey(name);

        /// <summary>Claims the path before its content is read, so two sources cannot race for one name.</summary>
        public void Reserve(string[] segments, string itemPath, Dictionary<string, TreeNode> rootEntries)
        {
            if (rootEntries.ContainsKey(segments[0]))
            {
                throw new ArgumentException($"item {itemPath}: another source of the snapshot already stores an entry named \"{segments[0]}\"");
            }

            var directory = this;
            foreach (var segment in segments[..^1])
            {
                if (directory._files.ContainsKey(segment))
                {
                    throw new ArgumentException($"item {itemPath}: \"{segment}\" is already a file item");
                }

                directory = directory._directories.TryGetValue(segment, out var sub) ? sub : directory._directories[segment] = new ItemDirectory();
            }

            if (directory.Has(segments[^1]))
            {
                throw new ArgumentException($"item {itemPath} was already added");
            }

            directory._files[segments[^1]] = null;
        }

        public void Place(string[] segments, TreeNode node)
        {
            var directory = this;
            foreach (var segment in segments[..^1])
            {
                directory = directory._directories[segment];
            }

            directory._files[segments[^1]] = node;
        }

        /// <summary>Saves every directory below this one and returns this one's entries.</summary>
        public async Task<List<TreeNode>> EncodeAsync(RepositoryWriter writer, BlobCodec codec, CancellationToken ct)
        {
            var nodes = new List<TreeNode>(_files.Count + _directories.Count);
            foreach (var (name, file) in _files)
            {
                nodes.Add(file ?? throw new InvalidOperationException($"item {name} is still being written"));
            }

            foreach (var (name, directory) in _directories)
            {
                var children = await directory.EncodeAsync(writer, codec, ct).ConfigureAwait(false);
                children.Sort(TreeCodec.CompareNames);
                nodes.Add(new TreeNode
                {
                    Name = name,
                    Type = NodeType.Directory,
                    Mode = 0x1C0, // 0700
                    MTimeNs = writer.Started.ToUnixTimeMilliseconds() * 1_000_000,
                    Subtree = await writer.SaveTreeAsync(codec, children, ct).ConfigureAwait(false),
                });
            }

            return nodes;
        }
    }
}

/// <summary>A stream the writer stored: the SHA-256 (hex) and length of its plain content, and how many chunks it has.</summary>
public sealed record StoredStream(string Sha256, long Length, int Chunks);

/// <summary>What a writer has stored so far: plain bytes and count of new data chunks, and bytes of new sealed blobs (trees included).</summary>
public sealed record RepositoryWriterStatistics(long BytesNew, long BytesStored, long ChunksNew);

/// <summary>What the snapshot says beyond its sources and what the writer measured.</summary>
/// <param name="ParentId">The snapshot used for change detection, if any.</param>
/// <param name="Figures">What the sources read (summed over sources); the writer adds what it stored.</param>
public sealed record SnapshotDraft(string? PolicyName, IReadOnlyDictionary<string, string>? Tags, string? ParentId, SourceFigures Figures);

/// <summary>What a source read, for the snapshot's summary. Sources of one snapshot add theirs up.</summary>
public sealed record SourceFigures(
    long FilesNew, long FilesChanged, long FilesUnmodified, long Directories, long TotalFiles, long TotalBytes, long BytesRead, int Warnings, int Errors)
{
    public static SourceFigures Zero { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0);

    public static SourceFigures operator +(SourceFigures a, SourceFigures b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new(a.FilesNew + b.FilesNew, a.FilesChanged + b.FilesChanged, a.FilesUnmodified + b.FilesUnmodified,
            a.Directories + b.Directories, a.TotalFiles + b.TotalFiles, a.TotalBytes + b.TotalBytes, a.BytesRead + b.BytesRead,
            a.Warnings + b.Warnings, a.Errors + b.Errors);
    }

    public SourceFigures Add(SourceFigures other) => this + other;
}
