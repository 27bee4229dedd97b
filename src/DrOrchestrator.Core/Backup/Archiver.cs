using System.Runtime.ExceptionServices;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Repository;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Core.Backup;

/// <summary>Backs up files and directories into a repository (see README.md in this folder).</summary>
public sealed class Archiver
{
    private readonly ILogger _logger;

    public Archiver(ILogger<Archiver>? logger = null)
    {
        _logger = logger ?? NullLogger<Archiver>.Instance;
    }

    /// <summary>Opens a file for reading. Tests replace it to simulate unreadable files.</summary>
    internal Func<string, Stream> OpenFile { get; set; } = DefaultOpen;

    /// <summary>Lists a directory's entries (full paths). Tests replace it to simulate directories that cannot be listed.</summary>
    internal Func<string, IEnumerable<string>> ListDirectory { get; set; } = Directory.EnumerateFileSystemEntries;

    /// <summary>Reads a path's extended attributes. Tests replace it to see which paths are read.</summary>
    internal ExtendedAttributeReader ReadExtendedAttributes { get; set; } = ExtendedAttributes.Read;

    /// <summary>
    /// Runs one backup of file trees and stores its snapshot last: a writer, the trees added to it
    /// (<see cref="AddFilesAsync"/>), the commit. Unreadable items end up in
    /// <see cref="BackupResult.Errors"/>; store failures and cancellation throw and leave no snapshot.
    /// </summary>
    /// <exception cref="ArgumentException">No paths, a path with no name, or two paths with the same name.</exception>
    public async Task<BackupResult> BackupAsync(BackupRepository repo, FileBackupRequest request, IProgress<BackupProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(repo);
        ArgumentNullException.ThrowIfNull(request);
        NormalizeTrees(request.Trees);
        var writer = RepositoryWriter.Start(repo);
        await using (writer.ConfigureAwait(false))
        {
            var files = await AddFilesAsync(writer, request.Trees, request.Parent, progress, ct).ConfigureAwait(false);
            var snapshot = await writer.CommitSnapshotAsync(
                new SnapshotDraft(request.PolicyName, request.Tags, request.Parent?.Id, files.Figures), ct).ConfigureAwait(false);
            Log.BackupFinished(_logger, snapshot.ShortId, snapshot.Summary.TotalFiles, snapshot.Summary.BytesNew, snapshot.Summary.BytesStored, snapshot.Summary.Duration.TotalSeconds);
            return new BackupResult(snapshot, files.Warnings, files.Errors);
        }
    }

    /// <summary>
    /// Backs up file trees into a snapshot being built: one pipeline run for all trees (each path
    /// filtered by its own tree's globs), their top-level entries and one <see cref="SnapshotSource"/>
    /// per tree added to <paramref name="writer"/>. The caller commits (or abandons) the writer.
    /// </summary>
    /// <param name="parent">Snapshot whose tree is compared by entry name for change detection; null = read everything.</param>
    /// <exception cref="ArgumentException">No paths, a path with no name, or two paths (of any trees, or of another source) with the same name.</exception>
    public async Task<FilesAdded> AddFilesAsync(
        RepositoryWriter writer, IReadOnlyList<FileTree> trees, Snapshot? parent, IProgress<BackupProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var roots = NormalizeTrees(trees);
        Log.BackupStarting(_logger, writer.Repository.Store.Description, roots.Count);
        var run = new BackupRun(writer, progress);
        var parentRoot = await LoadParentAsync(writer.Repository, parent, run, ct).ConfigureAwait(false);
        ThreadPoolGuard.EnsureMinimumWorkers(run.Readers + 1);
        var recoveryPoint = DateTimeOffset.UtcNow;
        var rootNodes = await RunPipelineAsync(run, roots, parentRoot, ct).ConfigureAwait(false);
        writer.AddRootEntries(rootNodes);
        var stored = rootNodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < trees.Count; i++)
        {
            var paths = roots.Where(r => r.Tree == i).Select(r => r.Scan.Path).ToList();
            writer.AddSource(new SnapshotSource(
                FilesSource.TypeName,
                [.. paths.Select(Path.GetFileName).OfType<string>().Where(stored.Contains)],
                recoveryPoint,
                paths,
                trees[i].Include,
                trees[i].Exclude,
                Manifest: null));
        }

        run.Report(null);
        return new FilesAdded(Figures(run), [.. run.Warnings], [.. run.Errors]);
    }

    private async Task<List<TreeNode>> RunPipelineAsync(
        BackupRun run, List<(int Tree, ScanRoot Scan)> roots, List<TreeNode>? parentRoot, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct, run.Writer.Aborted);
        var token = cts.Token;
        var content = new ContentStage(run, OpenFile);
        using var scanner = new FileScanner(run) { ListDirectory = ListDirectory, ReadAttributes = ReadExtendedAttributes };
        var trees = new TreeBuilder(run);
        var tasks = new List<Task>();

        Task Stage(Func<Task> body, Action? onExit = null)
        {
            var task = Task.Run(async () =>
            {
                try
                {
                    await body().ConfigureAwait(false);
                }
                catch
                {
                    await cts.CancelAsync().ConfigureAwait(false);
                    throw;
                }
                finally
                {
                    onExit?.Invoke();
                }
            }, CancellationToken.None);
            tasks.Add(task);
            return task;
        }

        var scan = Stage(async () =>
        {
            await scanner.ScanAsync([.. roots.Select(r => r.Scan)], parentRoot, new PendingDirectory(null, null), token).ConfigureAwait(false);
            run.ScanComplete = true;
        }, () => run.Files.Writer.TryComplete());
        var readers = Enumerable.Range(0, run.Readers).Select(_ => Stage(() => content.ReadFilesAsync(token))).ToArray();
        var readersDone = Stage(() => Task.WhenAll(readers), () => run.Chunks.Writer.TryComplete());
        var workers = Enumerable.Range(0, run.Workers).Select(_ => Stage(() => content.SealChunksAsync(token))).ToArray();
        _ = Stage(() => trees.RunAsync(token));
        _ = Stage(async () =>
        {
            // Once scanner, readers and workers are done, nothing can complete a file or list a directory.
            await Task.WhenAll([scan, readersDone, .. workers]).ConfigureAwait(false);
            run.TreeEvents.Writer.TryComplete();
        });

        await WhenAllOrFirstFailureAsync(tasks, run.Writer, ct).ConfigureAwait(false);
        return trees.RootNodes;
    }

    /// <summary>The parent's root tree; a damaged parent only costs change detection (everything is read), with a warning.</summary>
    private async Task<List<TreeNode>?> LoadParentAsync(BackupRepository repo, Snapshot? parent, BackupRun run, CancellationToken ct)
    {
        if (parent is null)
        {
            return null;
        }

        try
        {
            return await repo.LoadTreeAsync(BlobId.Parse(parent.TreeId), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RepositoryCorruptException or FormatException)
        {
            Log.ParentUnusable(_logger, parent.ShortId, e.Message);
            run.Warnings.Enqueue(new BackupIssue(parent.Id, $"parent snapshot cannot be read, every file is read again: {e.Message}"));
            return null;
        }
    }

    /// <summary>Waits for every stage; rethrows the first real failure (the writer's first) rather than the cancellations it caused.</summary>
    private static async Task WhenAllOrFirstFailureAsync(List<Task> tasks, RepositoryWriter writer, CancellationToken ct)
    {
        try
        {
            await Task.WhenAll(tasks.ToArray()).ConfigureAwait(false);
        }
        catch
        {
            ct.ThrowIfCancellationRequested();
            writer.ThrowIfFaulted();
            var real = tasks.Where(t => t.IsFaulted)
                .SelectMany(t => t.Exception!.InnerExceptions)
                .FirstOrDefault(e => e is not OperationCanceledException);
            if (real is not null)
            {
                ExceptionDispatchInfo.Throw(real);
            }

            throw;
        }
    }

    /// <summary>Every path of every tree, absolute and without a trailing '/', with its tree's index and globs.</summary>
    private static List<(int Tree, ScanRoot Scan)> NormalizeTrees(IReadOnlyList<FileTree> trees)
    {
        if (trees is null || trees.Count == 0 || trees.All(t => t.Paths is null || t.Paths.Count == 0))
        {
            throw new ArgumentException("backup needs at least one source path");
        }

        var roots = new List<(int, ScanRoot)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < trees.Count; i++)
        {
            var include = new GlobMatcher(trees[i].Include);
            var exclude = new GlobMatcher(trees[i].Exclude);
            foreach (var p in trees[i].Paths)
            {
                var full = Path.GetFullPath(p);
                var trimmed = full.Length > 1 ? full.TrimEnd('/') : full;
                var name = Path.GetFileName(trimmed);
                if (name.Length == 0)
                {
                    throw new ArgumentException($"source path {p} has no name to store it under (back up its children instead)");
                }

                if (!names.Add(name))
                {
                    throw new ArgumentException($"source paths share the name \"{name}\" ({p}); each source must have a distinct last segment");
                }

                roots.Add((i, new ScanRoot(trimmed, include, exclude)));
            }
        }

        return roots;
    }

    private static SourceFigures Figures(BackupRun run) => new(
        run.FilesNew,
        run.FilesChanged,
        run.FilesUnmodified,
        run.Directories,
        run.TotalFiles,
        run.TotalBytes,
        run.BytesRead,
        run.Warnings.Count,
        run.Errors.Count);

    private static FileStream DefaultOpen(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.SequentialScan);
}
