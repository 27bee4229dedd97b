using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Check;

/// <summary>
/// Maps damaged blobs back to the files that use them: walks every snapshot, skipping subtrees
/// already known to contain none of the damaged blobs. Paths are "snapshotShortId:path".
/// </summary>
internal sealed class AffectedFiles(BackupRepository repo, HashSet<BlobId> bad)
{
    private readonly Dictionary<BlobId, bool> _treeHasBad = [];
    private readonly Dictionary<BlobId, List<string>> _files = [];

    public async Task<Dictionary<BlobId, List<string>>> FindAsync(IEnumerable<Snapshot> snapshots, CancellationToken ct)
    {
        foreach (var snapshot in snapshots)
        {
            if (BlobId.TryParse(snapshot.TreeId, out var root))
            {
                await WalkAsync(snapshot.ShortId, root, "", ct).ConfigureAwait(false);
            }
        }

        return _files;
    }

    private async Task<bool> WalkAsync(string shortId, BlobId treeId, string path, CancellationToken ct)
    {
        if (_treeHasBad.TryGetValue(treeId, out var known) && !known)
        {
            return false;
        }

        List<TreeNode> nodes;
        try
        {
            nodes = await repo.LoadTreeAsync(treeId, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RepositoryException or ObjectStoreException)
        {
            return true; // already reported by the structural walk
        }

        var hasBad = bad.Contains(treeId);
        foreach (var node in nodes)
        {
            var child = path.Length == 0 ? node.Name : path + "/" + node.Name;
            if (node.Type == NodeType.Directory)
            {
                hasBad |= await WalkAsync(shortId, node.Subtree, child, ct).ConfigureAwait(false);
            }
            else if (node.Type == NodeType.File)
            {
                foreach (var chunk in node.Content.Where(bad.Contains).Distinct())
                {
                    hasBad = true;
                    if (!_files.TryGetValue(chunk, out var list))
                    {
                        _files.Add(chunk, list = []);
                    }

                    list.Add($"{shortId}:{child}");
                }
            }
        }

        _treeHasBad[treeId] = hasBad;
        return hasBad;
    }
}
