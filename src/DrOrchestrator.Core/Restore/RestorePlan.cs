using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Restore;

/// <summary>A directory or symlink to create, with its on-disk path built only from validated names.</summary>
internal sealed record PlannedItem(string Path, string SnapshotPath, TreeNode Node);

/// <summary>
/// Everything a restore will create, built by walking the snapshot's trees before anything is
/// written. Every name is validated here (non-empty, not "." or "..", no '/', no NUL, unique in
/// its directory), so a crafted tree cannot make the restore write outside the destination.
/// </summary>
internal sealed class RestorePlan
{
    public List<PlannedItem> Directories { get; } = [];

    public List<FileTarget> Files { get; } = [];

    public List<PlannedItem> Symlinks { get; } = [];

    /// <summary>Directories whose listing could not be read: nothing below them is restored, the rest is.</summary>
    public List<RestoreIssue> Failures { get; } = [];

    public long TotalBytes { get; private set; }

    /// <exception cref="RepositoryCorruptException">The snapshot's root listing cannot be read: there is nothing to plan.</exception>
    public static async Task<RestorePlan> BuildAsync(BackupRepository repo, Snapshot snapshot, string destination, IPathSelection include, CancellationToken ct)
    {
        var plan = new RestorePlan();
        var trees = new TreePrefetcher(repo);
        var root = await trees.TakeAsync(BlobId.Parse(snapshot.TreeId), ct).ConfigureAwait(false);
        await plan.AddTreeAsync(trees, root, destination, "", include, ct).ConfigureAwait(false);
        return plan;
    }

    private async Task<bool> AddTreeAsync(TreePrefetcher trees, List<TreeNode> nodes, string directory, string prefix, IPathSelection include, CancellationToken ct)
    {
        // Only subtrees that can hold a match are read: a one-file restore reads the trees on its path.
        trees.Prefetch(nodes.Where(n => n.Type == NodeType.Directory && include.CouldMatchBelow(Join(prefix, n.Name))).Select(n => n.Subtree), ct);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var any = false;
        foreach (var node in nodes)
        {
            ValidateName(node.Name, prefix, names);
            var snapshotPath = Join(prefix, node.Name);
            var path = directory + "/" + node.Name;
            var selected = include.IsEmpty || include.MatchesSelfOrAncestor(snapshotPath);
            switch (node.Type)
            {
                case NodeType.Directory when !include.CouldMatchBelow(snapshotPath):
                    break;
                case NodeType.Directory:
                    if (await TryTakeSubtreeAsync(trees, node, snapshotPath, ct).ConfigureAwait(false) is not { } children)
                    {
                        any = true; // reported: what it held is not restored, and a filter did not "match nothing"
                        break;
                    }

                    var position = Directories.Count;
                    Directories.Add(new PlannedItem(path, snapshotPath, node));
                    if (await AddTreeAsync(trees, children, path, snapshotPath, include, ct).ConfigureAwait(false) || selected)
                    {
                        any = true;
                    }
                    else
                    {
                        Directories.RemoveRange(position, Directories.Count - position);
                    }

                    break;
                case NodeType.File when selected:
                    Files.Add(new FileTarget(directory, prefix, node)); // the directory's strings, shared: no path per file
                    TotalBytes += node.Size;
                    any = true;
                    break;
                case NodeType.Symlink when selected:
                    Symlinks.Add(new PlannedItem(path, snapshotPath, node));
                    any = true;
                    break;
                default:
                    break;
            }
        }

        return any;
    }

    /// <summary>
    /// A directory's listing, or null when it cannot be read (damaged or missing pack, unparseable
    /// tree): the directory is then a failure of its own — neither it nor anything below it is
    /// created, so no empty directory stands for lost files — and the walk goes on with its siblings.
    /// </summary>
    private async Task<List<TreeNode>?> TryTakeSubtreeAsync(TreePrefetcher trees, TreeNode directory, string snapshotPath, CancellationToken ct)
    {
        try
        {
            return await trees.TakeAsync(directory.Subtree, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RepositoryCorruptException or Storage.ObjectStoreException)
        {
            Failures.Add(new RestoreIssue(snapshotPath, $"directory listing (tree {directory.Subtree.ToShortString()}) cannot be read, nothing in it restored: {e.Message}"));
            return null;
        }
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "/" + name;

    private static void ValidateName(string name, string prefix, HashSet<string> seen)
    {
        var where = prefix.Length == 0 ? "the snapshot root" : $"\"{prefix}\"";
        if (name.Length == 0 || name == "." || name == ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
        {
            throw new RestoreRefusedException($"refusing to restore: unsafe name \"{name.Replace("\0", "\\0", StringComparison.Ordinal)}\" in {where}");
        }

        if (!seen.Add(name))
        {
            throw new RestoreRefusedException($"refusing to restore: duplicate name \"{name}\" in {where}");
        }
    }
}
