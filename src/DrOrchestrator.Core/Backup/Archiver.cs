using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
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

    /// <summary>
    /// Runs one backup and stores its snapshot last. Unreadable items end up in
    /// <see cref="BackupResult.Errors"/>; store failures and cancellation throw and leave no snapshot.
    /// </summary>
    /// <exception cref="ArgumentException">No paths, a relative path that does not exist, or two sources with the same name.</exception>
    public async Task<BackupResult> BackupAsync(BackupRepository repo, FileBackupRequest request, IProgress<BackupProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(repo);
        ArgumentNullException.ThrowIfNull(request);
        var sources = NormalizeSources(request.Paths);
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        Log.BackupStarting(_logger, repo.Store.Description, sources.Count);
        var run = new BackupRun(repo, progress);
        var parentRoot = await LoadParentAsync(repo, request.Parent, run, ct).ConfigureAwait(false);
        ThreadPoolGuard.EnsureMinimumWorkers(run.Readers + 1);
        var recoveryPoint = DateTimeOffset.UtcNow;
        var packs = new PackStage(run);
        var treeId = await RunPipelineAsync(run, packs, request, sources, parentRoot, ct).ConfigureAwait(false);

        // Packs are durable (their put or staged commit returned); now the index that points into them; the snapshot last.
        await packs.FlushIndexAsync(ct).ConfigureAwait(false);
        var snapshot = new Snapshot(
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            started,
            recoveryPoint,
            Environment.MachineName,
            sources,
            request.PolicyName,
            new Dictionary<string, string>(request.Tags ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            treeId.ToString(),
            request.Parent?.Id,
            Summarize(run, clock.Elapsed));
        await repo.SaveSnapshotAsync(snapshot, ct).ConfigureAwait(false);
        run.Report(null);
        Log.BackupFinished(_logger, snapshot.ShortId, snapshot.Summary.TotalFiles, snapshot.Summary.BytesNew, snapshot.Summary.BytesStored, clock.Elapsed.TotalSeconds);
        return new BackupResult(snapshot, [.. run.Warnings], [.. run.Errors]);
    }

    private async Task<BlobId> RunPipelineAsync(
        BackupRun run, PackStage packs, FileBackupRequest request, List<string> sources, List<TreeNode>? parentRoot, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = cts.Token;
        var content = new ContentStage(run, OpenFile);
        using var scanner = new FileScanner(run, new GlobMatcher(request.Include), new GlobMatcher(request.Exclude));
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
            await scanner.ScanAsync(sources, parentRoot, new PendingDirectory(null, null), token).ConfigureAwait(false);
            run.ScanComplete = true;
        }, () => run.Files.Writer.TryComplete());
        var readers = Enumerable.Range(0, run.Readers).Select(_ => Stage(() => content.ReadFilesAsync(token))).ToArray();
        var readersDone = Stage(() => Task.WhenAll(readers), () => run.Chunks.Writer.TryComplete());
        var workers = Enumerable.Range(0, run.Workers).Select(_ => Stage(() => content.SealChunksAsync(token))).ToArray();
        var treeStage = Stage(() => trees.RunAsync(token));
        var rootId = default(BlobId);
        _ = Stage(async () =>
        {
            // Once scanner, readers and workers are done, nothing can complete a file or list a directory.
            await Task.WhenAll([scan, readersDone, .. workers]).ConfigureAwait(false);
            run.TreeEvents.Writer.TryComplete();
            await treeStage.ConfigureAwait(false);
            rootId = trees.RootId;
        }, () => run.Sealed.Writer.TryComplete());
        _ = Stage(() => packs.PackAsync(token));
        for (var i = 0; i < packs.UploaderCount; i++)
        {
            _ = Stage(() => packs.UploadAsync(token));
        }

        try
        {
            await WhenAllOrFirstFailureAsync(tasks, ct).ConfigureAwait(false);
        }
        finally
        {
            // Every stage has ended (WhenAll waits for all), so nothing can enqueue a pack any more.
            packs.DiscardUnsent();
        }

        return rootId;
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

    /// <summary>Waits for every stage; rethrows the first real failure rather than the cancellations it caused.</summary>
    private static async Task WhenAllOrFirstFailureAsync(List<Task> tasks, CancellationToken ct)
    {
        try
        {
            await Task.WhenAll(tasks.ToArray()).ConfigureAwait(false);
        }
        catch
        {
            ct.ThrowIfCancellationRequested();
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

    private static List<string> NormalizeSources(IReadOnlyList<string> paths)
    {
        if (paths is null || paths.Count == 0)
        {
            throw new ArgumentException("backup needs at least one source path");
        }

        var sources = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in paths)
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

            sources.Add(trimmed);
        }

        return sources;
    }

    private static SnapshotSummary Summarize(BackupRun run, TimeSpan duration) => new(
        run.FilesNew,
        run.FilesChanged,
        run.FilesUnmodified,
        run.Directories,
        run.TotalFiles,
        run.TotalBytes,
        run.BytesRead,
        run.BytesNew,
        run.BytesStored,
        run.ChunksNew,
        duration,
        run.Warnings.Count,
        run.Errors.Count);

    private static FileStream DefaultOpen(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.SequentialScan);
}
