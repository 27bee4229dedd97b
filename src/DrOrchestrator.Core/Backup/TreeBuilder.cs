using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Backup;

/// <summary>
/// The tree stage: encodes each directory as soon as everything below it is final, bottom-up,
/// then lets go of its entries, so a run holds only the directories still in flight rather than
/// a node per file of the whole source (see docs/decisions.md §15). It is told when a file becomes complete (read, and every chunk id known)
/// and when the scanner has listed a directory; a directory is encoded once it is listed and
/// none of its children is outstanding, which may complete its parent in turn, up to the
/// invisible root above the sources, whose entries go to the writer (which encodes the root at
/// commit, with every other source's entries). A directory whose entries did not change encodes
/// to the same bytes as in the parent snapshot, so its id is already indexed and nothing is stored.
/// Directories whose every file was final during the scan were encoded by the scanner.
/// </summary>
internal sealed class TreeBuilder(BackupRun run)
{
    private List<TreeNode>? _rootNodes;

    /// <summary>
    /// The entries of the invisible root (one per source path), once the stage has run to the end.
    /// The root itself is not encoded here: the writer encodes it at commit, with every source's entries.
    /// </summary>
    public List<TreeNode> RootNodes => _rootNodes ?? throw new InvalidOperationException("the backup's root listing was never completed");

    public async Task RunAsync(CancellationToken ct)
    {
        using var codec = run.Repo.CreateCodec(run.Pool);
        await foreach (var e in run.TreeEvents.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            if (e.File is { } file)
            {
                if (file.Parent.ChildDone() && file.Parent.Listed)
                {
                    await CompleteAsync(file.Parent, codec, ct).ConfigureAwait(false);
                }
            }
            else
            {
                // Posted after the scanner counted every child: from here on the count only falls.
                var directory = e.Directory!;
                directory.Listed = true;
                if (directory.NothingOutstanding)
                {
                    await CompleteAsync(directory, codec, ct).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task CompleteAsync(PendingDirectory directory, BlobCodec codec, CancellationToken ct)
    {
        while (true)
        {
            if (directory.Parent is not { } parent)
            {
                _rootNodes = TakeNodes(directory);
                return;
            }

            await EncodeAsync(directory, codec, ct).ConfigureAwait(false);

            if (!(parent.ChildDone() && parent.Listed))
            {
                return;
            }

            directory = parent;
        }
    }

    private async Task EncodeAsync(PendingDirectory directory, BlobCodec codec, CancellationToken ct)
    {
        var id = await StoreNodesAsync(run, TakeNodes(directory), codec, ct).ConfigureAwait(false);
        // A directory's node gets its Subtree before its parent is encoded.
        directory.Node!.Subtree = id;
    }

    /// <summary>The directory's final entries (files that failed left out); its children are then dropped.</summary>
    private static List<TreeNode> TakeNodes(PendingDirectory directory)
    {
        var children = directory.Children!;
        var nodes = new List<TreeNode>(children.Count);
        foreach (var entry in children)
        {
            if (entry.File is { } file)
            {
                if (file.Failed)
                {
                    continue;
                }

                entry.Node.Content = file.Ids();
            }

            // A pending subdirectory's node got its Subtree when it was encoded, before this.
            nodes.Add(entry.Node);
        }

        directory.Children = null;
        return nodes;
    }

    /// <summary>Encodes one directory listing and saves it unless the repository or this run has it.</summary>
    public static ValueTask<BlobId> StoreNodesAsync(BackupRun run, List<TreeNode> nodes, BlobCodec codec, CancellationToken ct) =>
        run.Writer.SaveTreeAsync(codec, nodes, ct);
}
