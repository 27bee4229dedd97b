using System.Security.Cryptography;
using System.Threading.Channels;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Check;

/// <summary>
/// One check: indexes vs. packs in the store, snapshots → trees → blobs, then (optionally) every
/// pack's bytes. Blobs found damaged or unreachable are collected and, at the end, mapped back to
/// the files that use them by walking the snapshots again.
/// </summary>
internal sealed class CheckRun(BackupRepository repo, ChannelWriter<CheckFinding> findings)
{
    private readonly HashSet<BlobId> _badBlobs = [];
    private readonly Dictionary<BlobId, string> _badBlobReasons = [];
    private readonly List<(string Key, Snapshot Snapshot)> _snapshots = [];

    public async Task RunAsync(bool readData, IProgress<CheckProgress>? progress, CancellationToken ct)
    {
        foreach (var (key, error) in repo.IndexErrors)
        {
            Emit(CheckSeverity.Error, key, $"index cannot be read: {error}");
        }

        ReportStagingFiles();

        var storePacks = await ListPacksAsync(ct).ConfigureAwait(false);
        var blobsByPack = repo.Index.Blobs().GroupBy(b => b.Value.Pack).ToDictionary(g => g.Key, g => g.ToList());
        var indexed = repo.Index.Packs();
        var indexedIds = new HashSet<BlobId>(indexed.Select(p => p.Id));
        var verifiable = new List<(int Number, BlobId Id, long Size)>();
        for (var number = 0; number < indexed.Count; number++)
        {
            var (id, size) = indexed[number];
            var key = ObjectKeys.Pack(id);
            if (!storePacks.TryGetValue(id, out var actual))
            {
                MarkPackBad(blobsByPack, number, key, "pack is missing from the store (listed in an index)");
            }
            else if (actual != size)
            {
                MarkPackBad(blobsByPack, number, key, $"pack is {actual} bytes, the index says {size}");
            }
            else
            {
                verifiable.Add((number, id, size));
            }
        }

        var unreferenced = storePacks.Keys.Where(id => !indexedIds.Contains(id)).ToList();
        if (!readData)
        {
            foreach (var id in unreferenced)
            {
                Emit(CheckSeverity.Info, ObjectKeys.Pack(id), "unreferenced pack (left by an interrupted backup)");
            }
        }

        await CheckSnapshotsAsync(ct).ConfigureAwait(false);
        ReportTransitErrors();
        if (readData)
        {
            var verifier = new PackVerifier(repo, findings);
            // Read too: a truncated fragment left under a pack's key by a killed upload is damage,
            // not just an unreferenced pack (issue 19 item 5).
            await Parallel.ForEachAsync(unreferenced, repo.ParallelOptions(ct), (id, token) => new ValueTask(verifier.VerifyUnreferencedAsync(id, token))).ConfigureAwait(false);
            var totalBytes = verifiable.Sum(p => p.Size);
            long packsDone = 0;
            long bytesDone = 0;
            var sinceReport = System.Diagnostics.Stopwatch.StartNew();
            await Parallel.ForEachAsync(verifiable, repo.ParallelOptions(ct), async (p, token) =>
            {
                var bad = await verifier.VerifyAsync(p.Id, blobsByPack.GetValueOrDefault(p.Number) ?? [], token).ConfigureAwait(false);
                var packs = Interlocked.Increment(ref packsDone);
                var bytes = Interlocked.Add(ref bytesDone, p.Size);
                if (progress is not null && (packs == verifiable.Count || sinceReport.ElapsedMilliseconds >= 250))
                {
                    sinceReport.Restart();
                    progress.Report(new CheckProgress(packs, bytes, verifiable.Count, totalBytes, ObjectKeys.Pack(p.Id)));
                }

                lock (_badBlobs)
                {
                    foreach (var (blob, reason) in bad)
                    {
                        _badBlobs.Add(blob);
                        _badBlobReasons[blob] = reason;
                    }
                }
            }).ConfigureAwait(false);
        }

        await ReportBadBlobsAsync(ct).ConfigureAwait(false);
    }

    private async Task<Dictionary<BlobId, long>> ListPacksAsync(CancellationToken ct)
    {
        var packs = new Dictionary<BlobId, long>();
        await foreach (var info in repo.Store.ListAsync(ObjectKeys.DataPrefix, ct).ConfigureAwait(false))
        {
            if (ObjectKeys.TryParsePack(info.Key, out var id) && info.Key == ObjectKeys.Pack(id))
            {
                packs[id] = info.Size;
            }
            else
            {
                Emit(CheckSeverity.Warning, info.Key, "object in data/ is not a pack (unexpected name)");
            }
        }

        return packs;
    }

    private void MarkPackBad(Dictionary<int, List<KeyValuePair<BlobId, BlobLocation>>> blobsByPack, int number, string key, string reason)
    {
        Emit(CheckSeverity.Error, key, reason);
        foreach (var blob in blobsByPack.GetValueOrDefault(number) ?? [])
        {
            _badBlobs.Add(blob.Key);
            _badBlobReasons[blob.Key] = $"in damaged pack {key}";
        }
    }

    private async Task CheckSnapshotsAsync(CancellationToken ct)
    {
        var visited = new HashSet<BlobId>();
        foreach (var info in await repo.Store.ListAllAsync(ObjectKeys.SnapshotsPrefix, ct).ConfigureAwait(false))
        {
            Snapshot snapshot;
            try
            {
                snapshot = await repo.LoadSnapshotAsync(info.Key, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RepositoryException or ObjectStoreException)
            {
                Emit(CheckSeverity.Error, info.Key, $"snapshot cannot be read: {e.Message}");
                continue;
            }

            _snapshots.Add((info.Key, snapshot));
            if (!BlobId.TryParse(snapshot.TreeId, out var root))
            {
                Emit(CheckSeverity.Error, info.Key, $"snapshot has an invalid tree id \"{snapshot.TreeId}\"");
                continue;
            }

            await CheckTreeAsync(info.Key, snapshot.ShortId, root, "", visited, ct).ConfigureAwait(false);
        }
    }

    private async Task CheckTreeAsync(string snapshotKey, string shortId, BlobId treeId, string path, HashSet<BlobId> visited, CancellationToken ct)
    {
        if (!visited.Add(treeId))
        {
            return;
        }

        var where = path.Length == 0 ? "/" : path;
        List<TreeNode> nodes;
        try
        {
            nodes = await repo.LoadTreeAsync(treeId, ct).ConfigureAwait(false);
        }
        catch (Exception first) when (first is RepositoryException or ObjectStoreException)
        {
            // Read again (a new request: a run that did not decode is not kept) before calling the
            // tree damaged: the first read's bytes may have been damaged on the way (issue 19 item 3).
            try
            {
                nodes = await repo.LoadTreeAsync(treeId, ct).ConfigureAwait(false);
                Emit(CheckSeverity.Warning, snapshotKey,
                    $"read error in transit: the tree of \"{where}\" failed a first read ({first.Message}), a second read was good; the stored tree is intact");
            }
            catch (Exception e) when (e is RepositoryException or ObjectStoreException)
            {
                Emit(CheckSeverity.Error, snapshotKey, e.Message == first.Message
                    ? $"tree of \"{where}\" cannot be loaded, the same on a second read (damaged at rest): {e.Message}"
                    : $"tree of \"{where}\" cannot be loaded: two reads failed differently (read errors in transit; the stored tree could not be verified): {first.Message}; then {e.Message}");
                return;
            }
        }

        foreach (var node in nodes)
        {
            var child = path.Length == 0 ? node.Name : path + "/" + node.Name;
            if (node.Type == NodeType.Directory)
            {
                await CheckTreeAsync(snapshotKey, shortId, node.Subtree, child, visited, ct).ConfigureAwait(false);
            }
            else if (node.Type == NodeType.File)
            {
                foreach (var chunk in node.Content.Where(c => !repo.Index.Contains(c)).Distinct())
                {
                    Emit(CheckSeverity.Error, snapshotKey, $"chunk {chunk.ToShortString()} is not in any index", [$"{shortId}:{child}"]);
                }
            }
        }
    }

    /// <summary>
    /// Staging files are never listed as objects, so only this shows the ones a killed process
    /// left: a warning each, with its size (no data is lost, but space is; the next backup on the
    /// same host removes them once their process is gone, any backup once they are a day old).
    /// </summary>
    private void ReportStagingFiles()
    {
        if (ObjectStaging.FindInventory(repo.Store is RereadingObjectStore rereading ? rereading.Inner : repo.Store) is not { } inventory)
        {
            return;
        }

        foreach (var file in inventory.ListStagingFiles())
        {
            Emit(CheckSeverity.Warning, file.Name,
                $"staging file of {file.Size} bytes, last written {file.LastWritten.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z: left by an interrupted write, unless a backup to this target is running now");
        }
    }

    /// <summary>
    /// Metadata objects (config, key files, indexes, snapshots) whose first read was bad but a
    /// re-read good (<see cref="RereadingObjectStore"/>): warnings, the repository is intact.
    /// </summary>
    private void ReportTransitErrors()
    {
        if (repo.Store is not RereadingObjectStore rereading)
        {
            return;
        }

        foreach (var (key, why) in rereading.TakeTransitErrors())
        {
            Emit(CheckSeverity.Warning, key, $"read error in transit: a first read failed ({why}), a second read was good; the stored object is intact");
        }
    }

    private async Task ReportBadBlobsAsync(CancellationToken ct)
    {
        if (_badBlobs.Count == 0)
        {
            return;
        }

        var affected = await new AffectedFiles(repo, _badBlobs).FindAsync(_snapshots.Select(s => s.Snapshot), ct).ConfigureAwait(false);
        foreach (var blob in _badBlobs.OrderBy(b => b))
        {
            var pack = repo.Index.TryGet(blob, out var loc) ? ObjectKeys.Pack(repo.Index.PackId(loc.Pack)) : null;
            Emit(CheckSeverity.Error, pack, $"blob {blob.ToShortString()} is damaged: {_badBlobReasons[blob]}", affected.GetValueOrDefault(blob) ?? []);
        }
    }

    private void Emit(CheckSeverity severity, string? key, string message, IReadOnlyList<string>? files = null) =>
        findings.TryWrite(new CheckFinding(severity, key, message, files ?? []));
}
