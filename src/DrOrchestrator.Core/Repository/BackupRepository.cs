using System.Buffers;
using System.Security.Cryptography;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// An opened repository on one object store: its config, master key and blob index.
/// Engines (Archiver, Restorer, Checker) work on it. See FORMAT.md for the layout and the
/// crash-safety argument. Opening never writes. Thread-safe for concurrent readers; run one
/// backup at a time per instance.
/// </summary>
public sealed class BackupRepository : IAsyncDisposable
{
    private readonly List<(string Key, string Error)> _indexErrors;

    private BackupRepository(IObjectStore store, RepositoryConfig config, MasterKey key, RepositoryIndex index, List<(string, string)> indexErrors)
    {
        Store = store;
        Config = config;
        Key = key;
        Index = index;
        _indexErrors = indexErrors;
    }

    public IObjectStore Store { get; }

    public RepositoryConfig Config { get; }

    internal MasterKey Key { get; }

    internal RepositoryIndex Index { get; }

    /// <summary>Recently read runs of neighbouring trees, sealed (bounded; see <see cref="LoadTreeBytesAsync"/>).</summary>
    private readonly TreeRunCache _treeRuns = new(maxBytes: 32L * 1024 * 1024);

    /// <summary>Index objects that could not be read at open (the checker reports them).</summary>
    internal IReadOnlyList<(string Key, string Error)> IndexErrors => _indexErrors;

    /// <summary>Where packs are assembled before upload.</summary>
    internal static string TempDirectory => Path.GetTempPath();

    /// <summary>Creates a new repository. Throws <see cref="RepositoryAlreadyExistsException"/> if one exists.</summary>
    public static async Task<BackupRepository> InitAsync(IObjectStore store, RepositoryKey key, RepositoryInitOptions? options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(key);
        options ??= new RepositoryInitOptions();
        options.Validate();
        if (await ExistsAsync(store, ct).ConfigureAwait(false))
        {
            throw new RepositoryAlreadyExistsException(store.Description);
        }

        var master = MasterKey.Generate();
        var config = new RepositoryConfig(
            RepositoryConfig.CurrentVersion,
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            new ChunkerParameters(options.ChunkMinSize, options.ChunkAverageSize, options.ChunkMaxSize,
                BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8))),
            options.CompressionLevel,
            options.PackSize);

        // Key first, config last: ExistsAsync looks at config, so a crash in between leaves a store
        // that init can simply run on again. Its stray key file stays: an open tries every key file
        // that opens with the passphrase until one's master opens the config (OpenConfigAsync).
        var keyFile = KeyFile.Create(key, master, options.KdfIterations).Serialize();
        await PutBytesAsync(store, ObjectKeys.Key(BlobId.Hash(keyFile).ToString()), keyFile, ct).ConfigureAwait(false);
        var sealedConfig = ObjectCodec.Seal(master, ObjectCodec.Config, RepositoryJson.Serialize(config), compress: false);
        await PutBytesAsync(store, ObjectKeys.Config, sealedConfig, ct).ConfigureAwait(false);
        return new BackupRepository(store, config, master, new RepositoryIndex(), []);
    }

    /// <summary>Opens an existing repository without a local index cache; throws <see cref="RepositoryNotFoundException"/> or <see cref="WrongRepositoryKeyException"/>.</summary>
    public static Task<BackupRepository> OpenAsync(IObjectStore store, RepositoryKey key, CancellationToken ct) => OpenAsync(store, key, null, ct);

    /// <summary>Opens an existing repository; throws <see cref="RepositoryNotFoundException"/> or <see cref="WrongRepositoryKeyException"/>.</summary>
    /// <param name="store">Where the repository is.</param>
    /// <param name="key">Its key.</param>
    /// <param name="indexCache">
    /// Where to keep a local copy of the built blob index (docs/decisions.md §24): when given, the
    /// index objects the copy was built from are not read again, only those added since; null reads
    /// every index object (what <c>check</c> needs: it judges the repository's own objects).
    /// </param>
    /// <param name="ct">Cancels the open.</param>
    /// <remarks>
    /// Three independent chains run at once: read the config; list the key files, derive the
    /// key-encryption key from the passphrase and unwrap the master key; list and download the
    /// indexes. The key derivation (PBKDF2; docs/decisions.md §14) is deliberately slow, and
    /// run first it delayed every command by that much; now it hides behind the downloads and
    /// their connection set-up. Each index worker waits for the key after its first download, so
    /// no more than one undecoded index per worker is ever held. With a cache the downloads wait
    /// for the key and the config (the cache is named by the repository id and authenticated with
    /// a key derived from the master key): a warm open downloads nothing to overlap.
    /// </remarks>
    public static async Task<BackupRepository> OpenAsync(IObjectStore store, RepositoryKey key, IndexCacheOptions? indexCache, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(key);
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var configBytes = ReadConfigBytesAsync(store, abandon.Token);
        var unlock = Task.Run(() => UnlockAsync(store, key, abandon.Token), abandon.Token);
        var opened = OpenConfigAsync(store, key, configBytes, unlock, abandon.Token);
        var indexes = LoadIndexAsync(store, unlock, opened, indexCache, abandon.Token);
        try
        {
            var (config, master) = await opened.ConfigureAwait(false);
            var load = await indexes.ConfigureAwait(false);
            ReleaseLoadMemory(load.Index);
            return new BackupRepository(store, config, master, load.Index, load.Errors) { IndexLoad = load.Report };
        }
        catch
        {
            // Nothing may outlive the open: stop the other chains and observe their outcomes.
            await abandon.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(configBytes, unlock, opened, indexes).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }
    }

    /// <summary>Blob count above which an open gives the memory its load used back to the system.</summary>
    private const int ReleaseAfterBlobs = 1_000_000;

    /// <summary>
    /// After a load of millions of blobs the GC holds on to what loading needed (download and
    /// decode buffers, the growth slack the table was trimmed of, the young generations the table
    /// passed through): ~20 bytes per blob more resident than the table itself (docs/decisions.md
    /// §24). One aggressive collection returns it; below a million blobs it is not worth a pause.
    /// </summary>
    private static void ReleaseLoadMemory(RepositoryIndex index)
    {
        if (index.BlobCount >= ReleaseAfterBlobs)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
    }

    /// <summary>How the open built the blob index (tests and the bench read it).</summary>
    internal IndexLoadReport IndexLoad { get; private init; } = new(0, 0, false, false, null);

    /// <summary>The config and master key, or the reason there are none (no repository, wrong key).</summary>
    private static async Task<(RepositoryConfig Config, MasterKey Master)> OpenConfigAsync(IObjectStore store, RepositoryKey key, Task<byte[]?> configBytes, Task<MasterKey?> unlock, CancellationToken ct)
    {
        var bytes = await configBytes.ConfigureAwait(false) ?? throw new RepositoryNotFoundException(store.Description);
        var master = await unlock.ConfigureAwait(false) ?? throw new WrongRepositoryKeyException(store.Description);
        try
        {
            return (await DecodeConfigAsync(store, master, bytes, ct).ConfigureAwait(false), master);
        }
        catch (RepositoryCorruptException)
        {
            // Another key file may open with the same passphrase: an init that stopped between its key
            // file and its config (or two inits of one fresh target at once) leaves the key of a master
            // the config was not sealed with. The master that opens the config is the repository's.
            await foreach (var other in UnlockAllAsync(store, key, ct).ConfigureAwait(false))
            {
                try
                {
                    return (ReadConfig(store, other, bytes), other);
                }
                catch (RepositoryCorruptException)
                {
                    // Not this one either.
                }
            }

            throw;
        }
    }

    /// <summary>True when the store holds a repository config object.</summary>
    public static async Task<bool> ExistsAsync(IObjectStore store, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        return await store.StatAsync(ObjectKeys.Config, ct).ConfigureAwait(false) is not null;
    }

    /// <summary>All readable snapshots, oldest first (unreadable ones are skipped; the checker reports them).</summary>
    public async Task<IReadOnlyList<Snapshot>> ListSnapshotsAsync(CancellationToken ct)
    {
        var keys = await Store.ListAllAsync(ObjectKeys.SnapshotsPrefix, ct).ConfigureAwait(false);
        var snapshots = new Snapshot?[keys.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, keys.Count), ParallelOptions(ct), async (i, token) =>
        {
            try
            {
                snapshots[i] = await LoadSnapshotAsync(keys[i].Key, token).ConfigureAwait(false);
            }
            catch (RepositoryCorruptException)
            {
                snapshots[i] = null;
            }
        }).ConfigureAwait(false);
        return [.. snapshots.OfType<Snapshot>().OrderBy(s => s.Time).ThenBy(s => s.Id, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The ids of every snapshot object with when its object was written (null where the store
    /// does not say), without reading them: a snapshot object is written last, so that time is
    /// when the snapshot became complete on this store (catalog rebuild's presence times).
    /// </summary>
    public async Task<IReadOnlyList<(string Id, DateTimeOffset? WrittenAt)>> ListSnapshotIdsAsync(CancellationToken ct)
    {
        var objects = await Store.ListAllAsync(ObjectKeys.SnapshotsPrefix, ct).ConfigureAwait(false);
        return [.. objects.Select(o => (o.Key[ObjectKeys.SnapshotsPrefix.Length..], o.LastModified))];
    }

    /// <summary>The snapshot whose id is or starts with the argument; <see cref="SnapshotNotFoundException"/> if none or ambiguous.</summary>
    public async Task<Snapshot> FindSnapshotAsync(string idOrUniquePrefix, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrUniquePrefix);
        var prefix = idOrUniquePrefix.Trim().ToLowerInvariant();
        var matches = (await Store.ListAllAsync(ObjectKeys.SnapshotsPrefix, ct).ConfigureAwait(false))
            .Select(o => o.Key[ObjectKeys.SnapshotsPrefix.Length..])
            .Where(id => id.StartsWith(prefix, StringComparison.Ordinal))
            .ToList();
        return matches.Count switch
        {
            0 => throw new SnapshotNotFoundException($"no snapshot with id {idOrUniquePrefix} in {Store.Description}"),
            1 => await LoadSnapshotAsync(ObjectKeys.Snapshot(matches[0]), ct).ConfigureAwait(false),
            _ => throw new SnapshotNotFoundException(
                $"snapshot id prefix {idOrUniquePrefix} is ambiguous in {Store.Description}: matches {string.Join(", ", matches.Take(5).Select(m => m[..8]))}"),
        };
    }

    /// <summary>
    /// Reads one snapshot by its full id, without listing the others; null when there is no such
    /// object or it cannot be read (the caller falls back, e.g. to <see cref="ListSnapshotsAsync"/>).
    /// </summary>
    public async Task<Snapshot?> TryLoadSnapshotAsync(string id, CancellationToken ct)
    {
        if (!BlobId.TryParse(id, out var parsed))
        {
            return null;
        }

        try
        {
            return await LoadSnapshotAsync(ObjectKeys.Snapshot(parsed.ToString()), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectNotFoundException or RepositoryCorruptException)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    internal Chunker CreateChunker() => new(Config.Chunker);

    internal BlobCodec CreateCodec(ArrayPool<byte> pool) => new(Key, Config.CompressionLevel, pool);

    internal ParallelOptions ParallelOptions(CancellationToken ct) =>
        new() { CancellationToken = ct, MaxDegreeOfParallelism = Math.Max(2, Store.Capabilities.RecommendedConcurrency) };

    internal async Task<Snapshot> LoadSnapshotAsync(string key, CancellationToken ct)
    {
        return await Store.ReadDecodedAsync(key, data =>
        {
            try
            {
                return RepositoryJson.Deserialize<Snapshot>(ObjectCodec.Open(Key, ObjectCodec.Snapshot, data), key);
            }
            catch (Exception e) when (e is CryptographicException or FormatException or System.Text.Json.JsonException)
            {
                throw new RepositoryCorruptException($"{Store.Description}: {key}: snapshot cannot be read: {e.Message}", e);
            }
        }, ct).ConfigureAwait(false);
    }

    internal async Task SaveSnapshotAsync(Snapshot snapshot, CancellationToken ct)
    {
        var sealedSnapshot = ObjectCodec.Seal(Key, ObjectCodec.Snapshot, RepositoryJson.Serialize(snapshot), compress: true);
        await PutBytesAsync(Store, ObjectKeys.Snapshot(snapshot.Id), sealedSnapshot, ct).ConfigureAwait(false);
    }

    /// <summary>Writes one index object for packs that are already durable, then adds them to the in-memory index.</summary>
    internal async Task SaveIndexAsync(IReadOnlyCollection<PackRecord> packs, CancellationToken ct)
    {
        if (packs.Count == 0)
        {
            return;
        }

        await WriteIndexObjectAsync(packs, ct).ConfigureAwait(false);
        foreach (var p in packs)
        {
            Index.Add(p);
        }
    }

    /// <summary>Writes one index object for packs that are already durable; returns its key. The in-memory index is not touched.</summary>
    internal async Task<string> WriteIndexObjectAsync(IReadOnlyCollection<PackRecord> packs, CancellationToken ct)
    {
        var sealedIndex = ObjectCodec.Seal(Key, ObjectCodec.Index, RepositoryIndex.Encode(packs), compress: true);
        var key = ObjectKeys.Index(BlobId.Hash(sealedIndex));
        await PutBytesAsync(Store, key, sealedIndex, ct).ConfigureAwait(false);
        return key;
    }

    /// <summary>
    /// The same repository (store, config, key) over another in-memory index: prune walks the
    /// snapshots with an index built from what the store holds now, not what it held at open.
    /// </summary>
    internal BackupRepository WithIndex(RepositoryIndex index) => new(Store, Config, Key, index, []);

    /// <summary>Reads one blob's plain bytes (exact length). For trees and single-blob reads only.</summary>
    internal async Task<byte[]> LoadBlobAsync(BlobId id, CancellationToken ct)
    {
        var loc = Locate(id);
        var packKey = ObjectKeys.Pack(Index.PackId(loc.Pack));
        var sealedBlob = await Store.ReadAllBytesAsync(packKey, new ByteRange(loc.Offset, loc.Length), ct).ConfigureAwait(false);
        using var codec = CreateCodec(ArrayPool<byte>.Shared);
        return OpenVerified(codec, packKey, id, loc, sealedBlob);
    }

    /// <summary>
    /// A tree's plain bytes. Trees sit next to each other in packs of their own (the packer keeps
    /// them apart from data), so the tree is read together with its neighbouring trees in one
    /// ranged read (gaps up to <see cref="TreeReadGap"/>, at most <see cref="TreeReadSpan"/>) and
    /// the run is kept, sealed, in <see cref="_treeRuns"/>: on a cloud target this turns a request
    /// per directory into a request per run of trees. Only the tree asked for is decrypted and
    /// verified, so the work follows the trees a walk needs, not the size of the runs they sit in.
    /// </summary>
    private async Task<byte[]> LoadTreeBytesAsync(BlobId id, CancellationToken ct)
    {
        var loc = Locate(id);
        var run = _treeRuns.GetOrAdd(loc, () => TreeRunRange(id, loc), out var isNew);
        var packKey = ObjectKeys.Pack(Index.PackId(loc.Pack));
        if (isNew)
        {
            try
            {
                run.Bytes.TrySetResult(await Store.ReadAllBytesAsync(packKey, new ByteRange(run.Start, run.Length), ct).ConfigureAwait(false));
            }
            catch (Exception e)
            {
                _treeRuns.Fail(run, e);
                throw;
            }
        }

        var sealedRun = await run.Bytes.Task.WaitAsync(ct).ConfigureAwait(false);
        var offset = loc.Offset - run.Start;
        using var codec = CreateCodec(ArrayPool<byte>.Shared);
        try
        {
            if (offset + loc.Length > sealedRun.Length)
            {
                throw new RepositoryCorruptException($"{Store.Description}: {packKey}: pack is shorter than the index says");
            }

            return OpenVerified(codec, packKey, id, loc, sealedRun.AsSpan((int)offset, (int)loc.Length));
        }
        catch (RepositoryCorruptException)
        {
            // A retry (a restore's, a check's re-read) must read the run again, not fail on the same bytes.
            _treeRuns.Forget(run);
            throw;
        }
    }

    /// <summary>The pack range one read of <paramref name="id"/> covers: its run of neighbouring trees, or the tree alone.</summary>
    private (long Start, long Length) TreeRunRange(BlobId id, in BlobLocation loc)
    {
        var run = Index.TreeRun(id, loc, TreeReadGap, TreeReadSpan);
        if (run.Count <= 1)
        {
            return (loc.Offset, loc.Length);
        }

        var start = run[0].Location.Offset;
        return (start, (long)run[^1].Location.Offset + run[^1].Location.Length - start);
    }

    private const uint TreeReadGap = 64 * 1024;
    private const long TreeReadSpan = 4L * 1024 * 1024;

    private BlobLocation Locate(BlobId id) =>
        Index.TryGet(id, out var loc) ? loc : throw new RepositoryCorruptException($"{Store.Description}: blob {id} is not in any index");

    /// <summary>Decrypts, decompresses and checks the SHA-256 of one sealed blob.</summary>
    private byte[] OpenVerified(BlobCodec codec, string packKey, BlobId id, in BlobLocation loc, ReadOnlySpan<byte> sealedBlob)
    {
        byte[] pooled;
        try
        {
            pooled = codec.Open(id, loc, sealedBlob);
        }
        catch (Exception e) when (e is CryptographicException or InvalidDataException)
        {
            throw new RepositoryCorruptException($"{Store.Description}: {packKey}: blob {id} is corrupt: {e.Message}", e);
        }

        var plain = pooled.AsSpan(0, (int)loc.PlainLength).ToArray();
        ArrayPool<byte>.Shared.Return(pooled);
        if (BlobId.Hash(plain) != id)
        {
            throw new RepositoryCorruptException($"{Store.Description}: {packKey}: blob {id} does not match its id");
        }

        return plain;
    }

    internal async Task<List<TreeNode>> LoadTreeAsync(BlobId id, CancellationToken ct)
    {
        var data = await LoadTreeBytesAsync(id, ct).ConfigureAwait(false);
        try
        {
            return TreeCodec.Decode(data);
        }
        catch (FormatException e)
        {
            throw new RepositoryCorruptException($"{Store.Description}: tree {id} cannot be parsed: {e.Message}", e);
        }
    }

    private static async Task<MasterKey?> UnlockAsync(IObjectStore store, RepositoryKey key, CancellationToken ct)
    {
        await foreach (var master in UnlockAllAsync(store, key, ct).ConfigureAwait(false))
        {
            return master;
        }

        return null;
    }

    /// <summary>The master key of every key file that opens with <paramref name="key"/>, in listing order.</summary>
    private static async IAsyncEnumerable<MasterKey> UnlockAllAsync(IObjectStore store, RepositoryKey key, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var info in await store.ListAllAsync(ObjectKeys.KeysPrefix, ct).ConfigureAwait(false))
        {
            KeyFile? keyFile;
            try
            {
                keyFile = KeyFile.TryParse(await store.ReadDecodedAsync(info.Key, bytes => VerifyContentHash(store, info.Key, bytes), ct).ConfigureAwait(false));
            }
            catch (RepositoryCorruptException)
            {
                // Every copy of this key file is damaged; another key file may still open the repository.
                continue;
            }

            if (keyFile?.TryOpen(key) is { } master)
            {
                yield return master;
            }
        }
    }

    /// <summary>
    /// The config from the bytes read at open; when they do not decode and the store has other
    /// copies, from the first copy that does (the one read first is tried again: its damage may
    /// have been on the way).
    /// </summary>
    private static async Task<RepositoryConfig> DecodeConfigAsync(IObjectStore store, MasterKey master, byte[] data, CancellationToken ct)
    {
        try
        {
            return ReadConfig(store, master, data);
        }
        catch (RepositoryCorruptException) when (store is ICopyFallbackReader copies)
        {
            return await copies.ReadFirstGoodCopyAsync(ObjectKeys.Config, bytes => ReadConfig(store, master, bytes), ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Key files and indexes are named by the SHA-256 of their bytes: bytes that do not match the
    /// name are damaged (a reader with several copies then takes the next one).
    /// </summary>
    private static byte[] VerifyContentHash(IObjectStore store, string key, byte[] bytes)
    {
        if (BlobId.TryParse(key[(key.LastIndexOf('/') + 1)..], out var expected) && BlobId.Hash(bytes) != expected)
        {
            throw new RepositoryCorruptException($"{store.Description}: {key}: SHA-256 of the content does not match its name");
        }

        return bytes;
    }

    private static RepositoryConfig ReadConfig(IObjectStore store, MasterKey master, byte[] data)
    {
        try
        {
            var config = RepositoryJson.Deserialize<RepositoryConfig>(ObjectCodec.Open(master, ObjectCodec.Config, data), "config");
            if (config.Version != RepositoryConfig.CurrentVersion)
            {
                throw new RepositoryCorruptException($"{store.Description}: config has format version {config.Version}; this build reads {RepositoryConfig.CurrentVersion}");
            }

            return config;
        }
        catch (Exception e) when (e is CryptographicException or FormatException or System.Text.Json.JsonException)
        {
            throw new RepositoryCorruptException($"{store.Description}: config cannot be read: {e.Message}", e);
        }
    }

    /// <summary>The config object's bytes, or null when the store holds no repository.</summary>
    private static async Task<byte[]?> ReadConfigBytesAsync(IObjectStore store, CancellationToken ct)
    {
        try
        {
            return await store.ReadAllBytesAsync(ObjectKeys.Config, null, ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
    }

    private sealed record LoadedIndex(RepositoryIndex Index, List<(string, string)> Errors, IndexLoadReport Report);

    /// <summary>
    /// The blob index: from the local cache plus the index objects added since, when a cache is
    /// given and holds no index object the store no longer lists; otherwise from every index
    /// object (and the cache is rewritten). A prune that deleted index objects therefore costs
    /// one full load, after which the cache is current again.
    /// </summary>
    private static async Task<LoadedIndex> LoadIndexAsync(IObjectStore store, Task<MasterKey?> unlock, Task<(RepositoryConfig, MasterKey)> opened,
        IndexCacheOptions? options, CancellationToken ct)
    {
        var listed = await store.ListAllAsync(ObjectKeys.IndexPrefix, ct).ConfigureAwait(false);
        if (options is null)
        {
            return await LoadIndexObjectsAsync(store, unlock, new RepositoryIndex(), listed, listed.Count, null, ct).ConfigureAwait(false);
        }

        // Null = no repository or wrong key: OpenAsync reports that from the config chain itself.
        var (config, master) = await opened.ConfigureAwait(false);
        if (IndexCache.For(options, config, master) is not { } cache)
        {
            return await LoadIndexObjectsAsync(store, unlock, new RepositoryIndex(), listed, listed.Count, null, ct).ConfigureAwait(false);
        }

        var ids = new Dictionary<BlobId, ObjectInfo>(listed.Count);
        foreach (var info in listed)
        {
            if (BlobId.TryParse(info.Key[ObjectKeys.IndexPrefix.Length..], out var id))
            {
                ids[id] = info;
            }
        }

        var cached = await Task.Run(() => cache.TryLoad(out var problem) is { } e ? (e, problem) : (null, problem), ct).ConfigureAwait(false);
        var entry = cached.Item1;
        var problem = cached.Item2;
        if (entry is not null && !entry.IndexObjects.All(ids.ContainsKey))
        {
            problem = $"{cache.FilePath}: holds index objects the repository no longer lists (a prune); rebuilt";
            entry = null;
        }

        IReadOnlyList<ObjectInfo> toRead = entry is null ? listed : [.. listed.Where(i => !BlobId.TryParse(i.Key[ObjectKeys.IndexPrefix.Length..], out var id) || !entry.IndexObjects.Contains(id))];
        var load = await LoadIndexObjectsAsync(store, unlock, entry?.Index ?? new RepositoryIndex(), toRead, listed.Count, problem, ct).ConfigureAwait(false);
        if ((entry is not null && !WorthRewriting(toRead, cache))
            || (entry is null && listed.Count < options.MinimumIndexObjects && listed.Sum(i => i.Size) < options.MinimumIndexBytes))
        {
            return load with { Report = load.Report with { FromCache = entry is not null } };
        }

        // What the index now holds: every listed object, cached or read, but those that failed to read.
        var failed = load.Errors.Select(e => e.Item1).ToHashSet(StringComparer.Ordinal);
        var holds = ids.Where(p => !failed.Contains(p.Value.Key)).Select(p => p.Key);
        try
        {
            await Task.Run(() => cache.Save(load.Index, holds), ct).ConfigureAwait(false);
            return load with { Report = load.Report with { FromCache = entry is not null, CacheWritten = true } };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return load with { Report = load.Report with { FromCache = entry is not null, CacheProblem = $"{cache.FilePath}: cannot be written: {e.Message}" } };
        }
    }

    /// <summary>
    /// An extended cache is written again once what it lacks costs more than a sixteenth of
    /// reading it, or 32 downloads: an open after every backup would otherwise rewrite the whole
    /// file for one small index object (docs/decisions.md §24).
    /// </summary>
    private static bool WorthRewriting(IReadOnlyList<ObjectInfo> added, IndexCache cache)
    {
        if (added.Count == 0)
        {
            return false;
        }

        long cacheBytes;
        try
        {
            cacheBytes = new FileInfo(cache.FilePath).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }

        // An index entry is ~PackEntry.EncodedSize bytes in its object and ~CompactBlobTable.RecordSize in the cache.
        var addedCacheBytes = added.Sum(i => i.Size) / PackEntry.EncodedSize * CompactBlobTable.RecordSize;
        return added.Count >= 32 || addedCacheBytes * 16 >= cacheBytes;
    }

    private static async Task<LoadedIndex> LoadIndexObjectsAsync(IObjectStore store, Task<MasterKey?> unlock, RepositoryIndex index,
        IReadOnlyList<ObjectInfo> keys, int listed, string? cacheProblem, CancellationToken ct)
    {
        var errors = new List<(string, string)>();
        // An index object holds about one entry per PackEntry.EncodedSize bytes (ids do not compress).
        index.Reserve(keys.Sum(k => k.Size) / PackEntry.EncodedSize);
        var options = new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Math.Max(2, store.Capabilities.RecommendedConcurrency) };
        await Parallel.ForEachAsync(keys, options, async (info, token) =>
        {
            byte[] data;
            try
            {
                data = await store.ReadDecodedAsync(info.Key, bytes => VerifyContentHash(store, info.Key, bytes), token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ObjectNotFoundException or RepositoryCorruptException)
            {
                // Deleted between the listing and the read (a concurrent prune), or no copy is
                // intact; the checker reports it.
                AddError(info.Key, e.Message);
                return;
            }

            // Null = wrong key: OpenAsync reports that from the unlock task itself.
            var master = await unlock.ConfigureAwait(false) ?? throw new OperationCanceledException(token);
            try
            {
                index.AddEncoded(ObjectCodec.Open(master, ObjectCodec.Index, data));
            }
            catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
            {
                AddError(info.Key, e.Message);
            }
        }).ConfigureAwait(false);
        index.Compact();
        return new LoadedIndex(index, errors, new IndexLoadReport(listed, keys.Count, false, false, cacheProblem));

        void AddError(string key, string error)
        {
            lock (errors)
            {
                errors.Add((key, error));
            }
        }
    }

    internal static async Task PutBytesAsync(IObjectStore store, string key, byte[] data, CancellationToken ct)
    {
        // Publicly visible, so a hedging or fanning-out store can read the buffer twice without copying it.
        using var ms = new MemoryStream(data, 0, data.Length, writable: false, publiclyVisible: true);
        await store.PutAsync(key, ms, ct).ConfigureAwait(false);
    }
}
