using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Backup;

/// <summary>
/// Encodes the scanned tree bottom-up once every file's chunks are known. A directory whose
/// entries did not change encodes to the same bytes as in the parent snapshot, so its id is
/// already indexed and nothing is stored: unchanged subtrees are reused by id. Directories
/// whose every file was finished during the scan (unchanged or empty) were already encoded by
/// the scanner; only those with files still being read are left for this pass.
/// </summary>
internal sealed class TreeBuilder(BackupRun run)
{
    public async Task<BlobId> BuildAsync(List<ScanEntry> roots, CancellationToken ct)
    {
        using var codec = run.Repo.CreateCodec(run.Pool);
        return await StoreTreeAsync(roots, codec, ct).ConfigureAwait(false);
    }

    private async Task<BlobId> StoreTreeAsync(List<ScanEntry> entries, BlobCodec codec, CancellationToken ct)
    {
        var nodes = new List<TreeNode>(entries.Count);
        foreach (var entry in entries)
        {
            if (entry.Children is { } children)
            {
                entry.Node.Subtree = await StoreTreeAsync(children, codec, ct).ConfigureAwait(false);
            }
            else if (entry.File is { } file)
            {
                if (file.Failed)
                {
                    continue;
                }

                entry.Node.Content = file.Ids();
            }

            nodes.Add(entry.Node);
        }

        return await StoreNodesAsync(run, nodes, codec, ct).ConfigureAwait(false);
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
