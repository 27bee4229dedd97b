using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Backup;

/// <summary>
/// The tree stage: encodes each directory as soon as everything below it is final, bottom-up,
/// then lets go of its entries, so a run holds only the directories still in flight rather than
/// a node per file of the whole source (~0.6 KB each: 100,000 new files were ~60 MB until the
/// end of the run). It is told when a file becomes complete (read, and every chunk id known)
/// and when the scanner has listed a directory; a directory is encoded once it is listed and
/// none of its children is outstanding, which may complete its parent in turn, up to the
/// invisible root above the sources. A directory whose entries did not change encodes to the
/// same bytes as in the parent snapshot, so its id is already indexed and nothing is stored.
/// Directories whose every file was final during the scan were encoded by the scanner.
/// </summary>
internal sealed class TreeBuilder(BackupRun run)
{
    private BlobId? _rootId;

    /// <summary>The root listing's id, once the stage has run to the end.</summary>
    public BlobId RootId => _rootId ?? throw new InvalidOperationException("the backup's root listing was never completed");

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
            var id = await EncodeAsync(directory, codec, ct).ConfigureAwait(false);
            if (directory.Parent is not { } parent)
            {
                _rootId = id;
                return;
            }

            if (!(parent.ChildDone() && parent.Listed))
            {
                return;
            }

            directory = parent;
        }
    }

    private async Task<BlobId> EncodeAsync(PendingDirectory directory, BlobCodec codec, CancellationToken ct)
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

        var id = await StoreNodesAsync(run, nodes, codec, ct).ConfigureAwait(false);
        if (directory.Node is { } node)
        {
            node.Subtree = id;
        }

        directory.Children = null;
        return id;
    }

    /// <summary>Encodes one directory listing and sends it to the packer unless the repository or this run has it.</summary>
    public static async Task<BlobId> StoreNodesAsync(BackupRun run, List<TreeNode> nodes, BlobCodec codec, CancellationToken ct)
    {
        var encoded = TreeCodec.Encode(nodes);
        var id = BlobId.Hash(encoded);
        if (!run.Repo.Index.Contains(id) && run.Seen.TryAdd(id, 0))
        {
            var blob = codec.Seal(BlobType.Tree, id, encoded);
            await run.Sealed.Writer.WriteAsync(blob, ct).ConfigureAwait(false);
        }

        return id;
    }
}
