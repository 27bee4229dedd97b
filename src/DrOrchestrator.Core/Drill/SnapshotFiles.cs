using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Drill;

/// <summary>One regular file of a snapshot: its '/'-separated snapshot path, size and the SHA-256 (hex) recorded at backup time.</summary>
public sealed record SnapshotFile(string Path, long Size, string Sha256);

/// <summary>The regular files of a snapshot, read from its trees: what a drill expects to find after a restore.</summary>
public static class SnapshotFiles
{
    /// <summary>Every regular file of <paramref name="snapshot"/> (hard links once per name), in tree order.</summary>
    public static async Task<IReadOnlyList<SnapshotFile>> ListAsync(BackupRepository repository, Snapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(snapshot);
        var files = new List<SnapshotFile>();
        var trees = new TreePrefetcher(repository);
        await AddAsync(trees, BlobId.Parse(snapshot.TreeId), "", files, cancellationToken).ConfigureAwait(false);
        return files;
    }

    private static async Task AddAsync(TreePrefetcher trees, BlobId treeId, string prefix, List<SnapshotFile> files, CancellationToken cancellationToken)
    {
        var nodes = await trees.TakeAsync(treeId, cancellationToken).ConfigureAwait(false);
        trees.Prefetch(nodes.Where(n => n.Type == NodeType.Directory).Select(n => n.Subtree), cancellationToken);
        foreach (var node in nodes)
        {
            var path = prefix.Length == 0 ? node.Name : prefix + "/" + node.Name;
            if (node.Type == NodeType.Directory)
            {
                await AddAsync(trees, node.Subtree, path, files, cancellationToken).ConfigureAwait(false);
            }
            else if (node.Type == NodeType.File)
            {
                files.Add(new SnapshotFile(path, node.Size, node.FileHash.ToString()));
            }
        }
    }
}
