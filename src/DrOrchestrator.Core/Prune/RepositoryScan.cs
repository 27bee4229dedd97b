using System.Collections.Concurrent;
using System.Security.Cryptography;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Prune;

/// <summary>
/// What prune sees of a repository at one moment: every snapshot, every index object with its
/// packs, every deletion mark, every pack in the store with its size and age, and the set of
/// blobs some snapshot uses (trees, chunks, source manifests). Read in the order that makes the
/// view safe: snapshots first — each was written after the indexes it needs, so every index a
/// listed snapshot needs is listed after it.
/// </summary>
/// <remarks>
/// Anything unreadable (a snapshot, an index, a mark, a tree) stops prune: what it would use
/// cannot be known, and deleting on a guess is how backups are lost. `check` names the damage.
/// </remarks>
internal sealed class RepositoryScan
{
    private RepositoryScan(
        Dictionary<string, Snapshot> snapshots, Dictionary<string, List<PackRecord>> indexes, List<DeletionMark> marks,
        Dictionary<BlobId, ObjectInfo> storePacks, HashSet<BlobId> used)
    {
        Snapshots = snapshots;
        Indexes = indexes;
        Marks = marks;
        StorePacks = storePacks;
        Used = used;
        foreach (var (key, packs) in indexes)
        {
            foreach (var pack in packs)
            {
                IndexedPacks.TryAdd(pack.Id, pack);
                if (!IndexesOfPack.TryGetValue(pack.Id, out var keys))
                {
                    IndexesOfPack.Add(pack.Id, keys = []);
                }

                keys.Add(key);
            }
        }

        foreach (var pack in marks.SelectMany(m => m.Packs))
        {
            MarkedPacks.Add(pack.Id);
        }

        // Where a used blob can be read from without any marked pack: an indexed pack the store has.
        foreach (var pack in IndexedPacks.Values.Where(p => storePacks.ContainsKey(p.Id) && !MarkedPacks.Contains(p.Id)))
        {
            foreach (var entry in pack.Entries)
            {
                Available.Add(entry.Id);
            }
        }
    }

    /// <summary>Snapshot object key → the snapshot.</summary>
    public Dictionary<string, Snapshot> Snapshots { get; }

    /// <summary>Index object key → the packs it lists.</summary>
    public Dictionary<string, List<PackRecord>> Indexes { get; }

    public List<DeletionMark> Marks { get; }

    /// <summary>Every pack object in the store (id → size, last modified).</summary>
    public Dictionary<BlobId, ObjectInfo> StorePacks { get; }

    /// <summary>Blobs some snapshot uses.</summary>
    public HashSet<BlobId> Used { get; }

    /// <summary>Every pack some index lists (its first record).</summary>
    public Dictionary<BlobId, PackRecord> IndexedPacks { get; } = [];

    /// <summary>Pack id → the index objects listing it.</summary>
    public Dictionary<BlobId, List<string>> IndexesOfPack { get; } = [];

    /// <summary>Packs some deletion mark holds.</summary>
    public HashSet<BlobId> MarkedPacks { get; } = [];

    /// <summary>Blobs readable from an indexed, unmarked pack that the store has.</summary>
    public HashSet<BlobId> Available { get; } = [];

    /// <summary>
    /// Reads the repository as it is now. With <paramref name="earlier"/> (a scan of the same
    /// repository taken before), snapshots that scan read are not read or walked again: a
    /// snapshot object and its trees never change, so the blobs they use are still in
    /// <see cref="Used"/>. Snapshots forgotten since leave their blobs counted as used — the set
    /// can only be larger than the truth, which keeps more, never less.
    /// </summary>
    public static async Task<RepositoryScan> ReadAsync(BackupRepository repo, RepositoryScan? earlier, CancellationToken ct)
    {
        var (snapshots, fresh) = await ReadSnapshotsAsync(repo, earlier, ct).ConfigureAwait(false);
        var indexes = await ReadIndexesAsync(repo, ct).ConfigureAwait(false);
        var marks = await ReadMarksAsync(repo, ct).ConfigureAwait(false);
        var storePacks = new Dictionary<BlobId, ObjectInfo>();
        await foreach (var info in repo.Store.ListAsync(ObjectKeys.DataPrefix, ct).ConfigureAwait(false))
        {
            if (ObjectKeys.TryParsePack(info.Key, out var id) && info.Key == ObjectKeys.Pack(id))
            {
                storePacks[id] = info;
            }
        }

        var used = earlier is null ? [] : new HashSet<BlobId>(earlier.Used);
        if (fresh.Count > 0)
        {
            // Walk with an index of what the store holds now: live indexes first, then marked packs
            // (a snapshot committed late may use a blob only a marked pack still holds).
            var index = new RepositoryIndex();
            foreach (var pack in indexes.Values.SelectMany(p => p).Concat(marks.SelectMany(m => m.Packs)))
            {
                if (storePacks.ContainsKey(pack.Id))
                {
                    index.Add(pack);
                }
            }

            await AddUsedBlobsAsync(repo.WithIndex(index), fresh, used, ct).ConfigureAwait(false);
        }

        return new RepositoryScan(snapshots, indexes, marks, storePacks, used);
    }

    /// <summary>The records of the index objects <paramref name="keys"/> as the store holds them now (missing ones are skipped).</summary>
    public static async Task<Dictionary<string, List<PackRecord>>> ReadIndexesAsync(BackupRepository repo, IEnumerable<string> keys, CancellationToken ct)
    {
        var result = new ConcurrentDictionary<string, List<PackRecord>>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(keys, repo.ParallelOptions(ct), async (key, token) =>
        {
            byte[] data;
            try
            {
                data = await repo.Store.ReadAllBytesAsync(key, null, token).ConfigureAwait(false);
            }
            catch (ObjectNotFoundException)
            {
                return;
            }

            try
            {
                result[key] = RepositoryIndex.Decode(ObjectCodec.Open(repo.Key, ObjectCodec.Index, data));
            }
            catch (Exception e) when (e is CryptographicException or FormatException)
            {
                throw new RepositoryCorruptException($"{repo.Store.Description}: {key}: index cannot be read ({e.Message}); prune refuses to run, see `drorch check`", e);
            }
        }).ConfigureAwait(false);
        return new Dictionary<string, List<PackRecord>>(result, StringComparer.Ordinal);
    }

    private static async Task<Dictionary<string, List<PackRecord>>> ReadIndexesAsync(BackupRepository repo, CancellationToken ct)
    {
        var keys = (await repo.Store.ListAllAsync(ObjectKeys.IndexPrefix, ct).ConfigureAwait(false)).Select(o => o.Key);
        return await ReadIndexesAsync(repo, keys, ct).ConfigureAwait(false);
    }

    public static async Task<List<DeletionMark>> ReadMarksAsync(BackupRepository repo, CancellationToken ct)
    {
        var marks = new ConcurrentBag<DeletionMark>();
        var keys = await repo.Store.ListAllAsync(ObjectKeys.DeletionsPrefix, ct).ConfigureAwait(false);
        await Parallel.ForEachAsync(keys, repo.ParallelOptions(ct), async (info, token) =>
        {
            byte[] data;
            try
            {
                data = await repo.Store.ReadAllBytesAsync(info.Key, null, token).ConfigureAwait(false);
            }
            catch (ObjectNotFoundException)
            {
                return;
            }

            try
            {
                marks.Add(DeletionMark.Decode(info.Key[ObjectKeys.DeletionsPrefix.Length..], ObjectCodec.Open(repo.Key, ObjectCodec.Deletion, data)));
            }
            catch (Exception e) when (e is CryptographicException or FormatException)
            {
                throw new RepositoryCorruptException($"{repo.Store.Description}: {info.Key}: deletion mark cannot be read ({e.Message}); prune refuses to run", e);
            }
        }).ConfigureAwait(false);
        return [.. marks.OrderBy(m => m.Created)];
    }

    /// <summary>Every snapshot now (keyed by object key), and those among them <paramref name="earlier"/> did not hold.</summary>
    private static async Task<(Dictionary<string, Snapshot> All, List<Snapshot> Fresh)> ReadSnapshotsAsync(BackupRepository repo, RepositoryScan? earlier, CancellationToken ct)
    {
        var loaded = new ConcurrentDictionary<string, Snapshot>(StringComparer.Ordinal);
        var keys = await repo.Store.ListAllAsync(ObjectKeys.SnapshotsPrefix, ct).ConfigureAwait(false);
        var all = new Dictionary<string, Snapshot>(StringComparer.Ordinal);
        var toRead = new List<ObjectInfo>();
        foreach (var info in keys)
        {
            if (earlier is not null && earlier.Snapshots.TryGetValue(info.Key, out var known))
            {
                all[info.Key] = known;
            }
            else
            {
                toRead.Add(info);
            }
        }

        await Parallel.ForEachAsync(toRead, repo.ParallelOptions(ct), async (info, token) =>
        {
            try
            {
                loaded[info.Key] = await repo.LoadSnapshotAsync(info.Key, token).ConfigureAwait(false);
            }
            catch (ObjectNotFoundException)
            {
                // Forgotten between the listing and the read.
            }
            catch (RepositoryCorruptException e)
            {
                throw new RepositoryCorruptException($"{e.Message}; prune refuses to run, see `drorch check`", e);
            }
        }).ConfigureAwait(false);
        foreach (var (key, snapshot) in loaded)
        {
            all[key] = snapshot;
        }

        return (all, [.. loaded.Values.OrderBy(s => s.Time)]);
    }

    /// <summary>Adds to <paramref name="used"/> every blob the snapshots use; a tree already in it was walked before, with everything below it.</summary>
    private static async Task AddUsedBlobsAsync(BackupRepository repo, IReadOnlyList<Snapshot> snapshots, HashSet<BlobId> used, CancellationToken ct)
    {
        var pending = new Stack<BlobId>();
        foreach (var snapshot in snapshots)
        {
            pending.Push(ParseId(repo, snapshot, snapshot.TreeId));
            foreach (var manifest in (snapshot.Sources ?? []).Select(s => s.Manifest).OfType<string>())
            {
                used.Add(ParseId(repo, snapshot, manifest));
            }
        }

        while (pending.TryPop(out var tree))
        {
            if (!used.Add(tree))
            {
                continue;
            }

            foreach (var node in await repo.LoadTreeAsync(tree, ct).ConfigureAwait(false))
            {
                if (node.Type == NodeType.Directory)
                {
                    pending.Push(node.Subtree);
                }
                else if (node.Type == NodeType.File)
                {
                    used.UnionWith(node.Content);
                }
            }
        }
    }

    private static BlobId ParseId(BackupRepository repo, Snapshot snapshot, string hex) =>
        BlobId.TryParse(hex, out var id)
            ? id
            : throw new RepositoryCorruptException($"{repo.Store.Description}: snapshot {snapshot.ShortId} names an invalid blob id \"{hex}\"; prune refuses to run");
}
