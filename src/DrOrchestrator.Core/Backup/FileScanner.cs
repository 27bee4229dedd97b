using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Backup;

/// <summary>
/// Walks the sources with lstat (never following symlinks), applies include/exclude globs and
/// compares each file with the parent snapshot's node. Unchanged files (same size, mtime ns,
/// inode, device, and every chunk still indexed) are finished on the spot without being opened;
/// the rest go to the reader channel. A directory with no file left to read is encoded on the
/// spot and kept only as its node; one with files still being read is posted to the tree stage
/// (<see cref="TreeBuilder"/>), which encodes it once they are done.
/// </summary>
internal sealed class FileScanner(BackupRun run) : IDisposable
{
    private readonly TreePrefetcher _parentTrees = new(run.Repo);

    /// <summary>Lists a directory's entries (full paths).</summary>
    public Func<string, IEnumerable<string>> ListDirectory { get; init; } = Directory.EnumerateFileSystemEntries;

    /// <summary>Reads a path's extended attributes (see <see cref="ExtendedAttributes.Read"/>).</summary>
    public ExtendedAttributeReader ReadAttributes { get; init; } = ExtendedAttributes.Read;
    private BlobCodec? _codec;

    /// <summary>Seals the tree blobs of directories finished during the scan; created on first use.</summary>
    private BlobCodec Codec => _codec ??= run.Repo.CreateCodec(run.Pool);

    public void Dispose() => _codec?.Dispose();

    private const int ENOENT = 2;

    /// <summary>
    /// Scans the source paths into <paramref name="root"/> (the listing above them) and posts it to
    /// the tree stage. Each path is filtered by its own tree's globs.
    /// </summary>
    public async Task ScanAsync(IReadOnlyList<ScanRoot> sources, List<TreeNode>? parentRoot, PendingDirectory root, CancellationToken ct)
    {
        var parents = ToDictionary(parentRoot);
        var roots = new List<ScanEntry>();
        foreach (var source in sources)
        {
            var name = Path.GetFileName(source.Path);
            var entry = await ScanEntryAsync(source.Path, name, "", source, parents, root, ct).ConfigureAwait(false);
            if (entry is not null)
            {
                roots.Add(entry);
                if (!entry.IsFinished)
                {
                    root.AddOutstanding();
                }
            }
        }

        roots.Sort((a, b) => TreeCodec.CompareNames(a.Node, b.Node));
        root.Children = roots;
        run.TreeEvents.Writer.TryWrite(new TreeEvent(null, root));
    }

    private async Task<ScanEntry?> ScanEntryAsync(
        string path, string name, string relative, ScanRoot filter, Dictionary<string, TreeNode>? parents, PendingDirectory directory, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var stat = UnixFileSystem.LStat(path, out var errno);
        if (stat is not { } st)
        {
            AddIssue(errno == ENOENT ? run.Warnings : run.Errors, path, errno == ENOENT ? "vanished before it could be read" : $"cannot stat (errno {errno})");
            return null;
        }

        var node = NewNode(name, st);
        var previous = parents?.GetValueOrDefault(name);
        switch (st.FileType)
        {
            case UnixStat.Directory:
                node.Type = NodeType.Directory;
                node.Size = 0;
                return await ScanDirectoryAsync(path, relative, filter, node, previous, directory, ct).ConfigureAwait(false);
            case UnixStat.Symlink:
                if (!filter.IsIncluded(relative))
                {
                    return null;
                }

                node.Type = NodeType.Symlink;
                node.LinkTarget = new FileInfo(path).LinkTarget ?? "";
                node.Size = 0;
                ReadExtendedAttributes(path, node, previous);
                return new ScanEntry(node);
            case UnixStat.RegularFile:
                if (!filter.IsIncluded(relative))
                {
                    return null;
                }

                node.Type = NodeType.File;
                ReadExtendedAttributes(path, node, previous);
                return await ScanFileAsync(path, node, st, previous, directory, ct).ConfigureAwait(false);
            default:
                AddIssue(run.Warnings, path, "skipped: sockets, FIFOs and devices are not backed up");
                return null;
        }
    }

    private async Task<ScanEntry?> ScanDirectoryAsync(
        string path, string relative, ScanRoot filter, TreeNode node, TreeNode? previous, PendingDirectory parent, CancellationToken ct)
    {
        List<string> names;
        try
        {
            names = [.. ListDirectory(path).Select(p => Path.GetFileName(p))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Kept as an empty directory (its metadata is known), so the restore shows where it was.
            AddIssue(run.Errors, path, $"cannot list directory: {e.Message}; stored empty");
            names = [];
        }

        names.Sort(string.CompareOrdinal);
        var parents = previous is { Type: NodeType.Directory } ? ToDictionary(await LoadParentTreeAsync(previous, ct).ConfigureAwait(false)) : null;
        if (parents is not null)
        {
            // Parent subtrees of directories that still exist load while this directory is scanned.
            _parentTrees.Prefetch(names.Select(n => parents.GetValueOrDefault(n)).OfType<TreeNode>()
                .Where(n => n.Type == NodeType.Directory).Select(n => n.Subtree), ct);
        }

        var directory = new PendingDirectory(node, parent);
        var children = new List<ScanEntry>(names.Count);
        foreach (var childName in names)
        {
            var childRelative = relative.Length == 0 ? childName : relative + "/" + childName;
            if (filter.Exclude.Matches(childRelative))
            {
                continue;
            }

            var child = await ScanEntryAsync(Path.Join(path, childName), childName, childRelative, filter, parents, directory, ct).ConfigureAwait(false);
            if (child is not null)
            {
                children.Add(child);
                if (!child.IsFinished)
                {
                    // Counted after the child was handed out: it may already be done (the count
                    // dips below zero), which is harmless until the directory is posted below.
                    directory.AddOutstanding();
                }
            }
        }

        // With include globs, a directory is kept only for what it contains (or when it matches itself).
        if (children.Count == 0 && !filter.Include.IsEmpty && relative.Length > 0 && !filter.Include.MatchesSelfOrAncestor(relative))
        {
            return null;
        }

        ReadExtendedAttributes(path, node, previous);
        Interlocked.Increment(ref run.Directories);
        if (children.TrueForAll(c => c.IsFinished))
        {
            // Nothing below is still being read: encode the listing now, so the scanned tree of an
            // (almost) unchanged source is not held in memory until the end of the run.
            node.Subtree = await TreeBuilder.StoreNodesAsync(run, children.ConvertAll(c => c.Node), Codec, ct).ConfigureAwait(false);
            return new ScanEntry(node);
        }

        directory.Children = children;
        run.TreeEvents.Writer.TryWrite(new TreeEvent(null, directory));
        return new ScanEntry(node) { Directory = directory };
    }

    /// <summary>
    /// The entry's extended attributes (incl. ACLs), read only for entries that are kept. An inode
    /// whose status has not changed since the parent snapshot (same inode, device and ctime, which
    /// every xattr, ACL, owner or mode change moves) has the parent node's attributes: on a source
    /// that did not change this saves a listxattr per entry.
    /// </summary>
    private void ReadExtendedAttributes(string path, TreeNode node, TreeNode? previous)
    {
        if (previous is not null && node.SameInodeStatus(previous))
        {
            node.Xattrs = previous.Xattrs;
            return;
        }

        node.Xattrs = ReadAttributes(path, out var errno);
        if (errno != 0)
        {
            AddIssue(run.Warnings, path, $"cannot read extended attributes (errno {errno}); stored without them");
            // Without its ctime the node is never taken as unchanged: the next run reads them again.
            node.CTimeNs = 0;
        }
    }

    private async Task<ScanEntry> ScanFileAsync(string path, TreeNode node, UnixStat st, TreeNode? previous, PendingDirectory directory, CancellationToken ct)
    {
        Interlocked.Increment(ref run.TotalFiles);
        Interlocked.Add(ref run.TotalBytes, st.Size);
        if (previous is not null && node.SameFileIdentity(previous) && AllIndexed(previous.Content))
        {
            node.Content = previous.Content;
            node.FileHash = previous.FileHash;
            // Same content, but a new owner, group, mode or extended attribute is a change the
            // admin should see counted (the content is not read again).
            Interlocked.Increment(ref node.SameMetadata(previous) ? ref run.FilesUnmodified : ref run.FilesChanged);
            run.FileDone(st.Size, path);
            return new ScanEntry(node);
        }

        Interlocked.Increment(ref previous is null ? ref run.FilesNew : ref run.FilesChanged);
        var pending = new PendingFile(path, node, st, directory) { IsNew = previous is null };
        await run.Files.Writer.WriteAsync(pending, ct).ConfigureAwait(false);
        return new ScanEntry(node) { File = pending };
    }

    /// <summary>Every chunk of an unchanged file is still in the index (a plain loop: this runs once per file of the source).</summary>
    private bool AllIndexed(BlobId[] content)
    {
        var index = run.Repo.Index;
        foreach (var id in content)
        {
            if (!index.Contains(id))
            {
                return false;
            }
        }

        return true;
    }

    private async Task<List<TreeNode>?> LoadParentTreeAsync(TreeNode previous, CancellationToken ct)
    {
        try
        {
            return await _parentTrees.TakeAsync(previous.Subtree, ct).ConfigureAwait(false);
        }
        catch (RepositoryCorruptException)
        {
            // A damaged parent only costs change detection: everything below is read again.
            return null;
        }
    }

    private static TreeNode NewNode(string name, UnixStat st) => new()
    {
        Name = name,
        Mode = st.Permissions,
        Uid = st.Uid,
        Gid = st.Gid,
        MTimeNs = st.MTimeNs,
        CTimeNs = st.CTimeNs,
        Size = st.Size,
        Inode = st.Inode,
        Device = st.Device,
        Links = st.FileType == UnixStat.RegularFile ? st.Links : 1,
        Sparse = st.IsSparse,
    };

    private static Dictionary<string, TreeNode>? ToDictionary(List<TreeNode>? nodes)
    {
        if (nodes is null)
        {
            return null;
        }

        var d = new Dictionary<string, TreeNode>(nodes.Count, StringComparer.Ordinal);
        foreach (var n in nodes)
        {
            d.TryAdd(n.Name, n);
        }

        return d;
    }

    private static void AddIssue(System.Collections.Concurrent.ConcurrentQueue<BackupIssue> list, string path, string message) =>
        list.Enqueue(new BackupIssue(path, message));
}

/// <summary>A source path and the globs of the tree it belongs to.</summary>
internal sealed record ScanRoot(string Path, GlobMatcher Include, GlobMatcher Exclude)
{
    public bool IsIncluded(string relative) =>
        Include.IsEmpty || relative.Length == 0 || Include.MatchesSelfOrAncestor(relative);
}
