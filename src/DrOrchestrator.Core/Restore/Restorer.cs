using System.Buffers;
using System.Diagnostics;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Core.Restore;

/// <summary>
/// Restores a snapshot (or part of it) into a directory, verifying every file's SHA-256.
/// See README.md in this folder for the guarantees (never writes outside the destination) and
/// the limits (an interrupted restore leaves partial files).
/// </summary>
public sealed class Restorer
{
    private readonly ILogger _logger;

    public Restorer(ILogger<Restorer>? logger = null)
    {
        _logger = logger ?? NullLogger<Restorer>.Instance;
    }

    /// <exception cref="RestoreRefusedException">Destination not empty (without Overwrite) or an unsafe name in the snapshot; nothing written.</exception>
    /// <exception cref="ChecksumMismatchException">A restored file's SHA-256 differs from the recorded one.</exception>
    /// <exception cref="RepositoryCorruptException">A blob is missing or fails authentication; the message names the files.</exception>
    public async Task<RestoreResult> RestoreAsync(BackupRepository repo, RestoreRequest request, IProgress<RestoreProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(repo);
        ArgumentNullException.ThrowIfNull(request);
        var clock = Stopwatch.StartNew();
        var full = Path.GetFullPath(request.Destination);
        var destination = full.Length > 1 ? full.TrimEnd('/') : full;
        CheckDestination(destination, request.Overwrite);
        var plan = await RestorePlan.BuildAsync(repo, request.Snapshot, destination, new GlobMatcher(request.Include), ct).ConfigureAwait(false);
        var packs = GroupByPack(repo, plan);

        Directory.CreateDirectory(destination);
        foreach (var dir in plan.Directories)
        {
            CreateDirectory(dir.Path, request.Overwrite);
        }

        using var finished = new PageCacheReleaser();
        var files = new FileWriteContext(request.Overwrite, BufferPool.Engine, finished);
        var tracker = new RestoreTracker(plan, progress);
        foreach (var empty in plan.Files.Where(f => f.Node.Content.Length == 0))
        {
            empty.WriteEmpty(files);
            tracker.FileDone(empty);
        }

        var reader = new PackReader(repo, files, tracker.FileDone);
        var options = new ParallelOptions
        {
            CancellationToken = ct,
            // Local packs: one per core keeps both busy (more only adds memory). Remote packs: enough
            // ranged reads in flight to hide latency.
            MaxDegreeOfParallelism = repo.Store.Capabilities.IsLocal
                ? Math.Max(2, Environment.ProcessorCount)
                : Math.Max(Environment.ProcessorCount, Math.Min(repo.Store.Capabilities.RecommendedConcurrency, 8)),
        };
        ThreadPoolGuard.EnsureMinimumWorkers(options.MaxDegreeOfParallelism);
        try
        {
            await Parallel.ForEachAsync(packs, options, (p, token) => new ValueTask(reader.RestorePackAsync(p.Key, p.Value, token))).ConfigureAwait(false);
        }
        catch
        {
            plan.Files.ForEach(f => f.Abort());
            throw;
        }

        foreach (var link in plan.Symlinks)
        {
            CreateSymlink(link, request.Overwrite);
        }

        // Directories last and deepest first: their mtime must not be bumped by what is created inside.
        for (var i = plan.Directories.Count - 1; i >= 0; i--)
        {
            RestoreMetadata.Apply(plan.Directories[i].Path, plan.Directories[i].Node);
        }

        var result = tracker.Result(plan.Directories.Count, plan.Symlinks.Count);
        Log.RestoreFinished(_logger, request.Snapshot.ShortId, destination, result.Files, result.Bytes, clock.Elapsed.TotalSeconds);
        return result;
    }

    private static void CheckDestination(string destination, bool overwrite)
    {
        if (File.Exists(destination))
        {
            throw new RestoreRefusedException($"restore destination {destination} is a file, not a directory");
        }

        if (!overwrite && Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any())
        {
            throw new RestoreRefusedException($"restore destination {destination} is not empty (choose an empty directory or allow overwrite)");
        }
    }

    /// <summary>Every needed blob grouped by pack, packs in order of first use (so files fill mostly in order).</summary>
    private static List<KeyValuePair<int, List<NeededBlob>>> GroupByPack(BackupRepository repo, RestorePlan plan)
    {
        var blobs = new Dictionary<BlobId, NeededBlob>();
        var packs = new Dictionary<int, List<NeededBlob>>();
        var order = new List<int>();
        foreach (var file in plan.Files)
        {
            var lengths = new uint[file.Node.Content.Length];
            for (var i = 0; i < lengths.Length; i++)
            {
                var id = file.Node.Content[i];
                if (!blobs.TryGetValue(id, out var needed))
                {
                    if (!repo.Index.TryGet(id, out var location))
                    {
                        throw new RepositoryCorruptException(
                            $"{repo.Store.Description}: chunk {id.ToShortString()} of {file.SnapshotPath} is not in any index (data lost)");
                    }

                    needed = new NeededBlob(id, location, []);
                    blobs.Add(id, needed);
                    if (!packs.TryGetValue(location.Pack, out var list))
                    {
                        packs.Add(location.Pack, list = []);
                        order.Add(location.Pack);
                    }

                    list.Add(needed);
                }

                needed.Targets.Add((file, i));
                lengths[i] = needed.Location.PlainLength;
            }

            file.Prepare(lengths);
        }

        return [.. order.Select(p => new KeyValuePair<int, List<NeededBlob>>(p, packs[p]))];
    }

    private static void CreateDirectory(string path, bool overwrite)
    {
        var st = UnixFileSystem.LStat(path, out _);
        if (st is { } existing)
        {
            if (existing.FileType == UnixStat.Directory)
            {
                return;
            }

            if (!overwrite)
            {
                throw new RestoreRefusedException($"cannot restore directory {path}: something else exists there");
            }

            // A symlink (or file) here is replaced, never traversed.
            File.Delete(path);
        }

        Directory.CreateDirectory(path);
    }

    private static void CreateSymlink(PlannedItem link, bool overwrite)
    {
        if (overwrite)
        {
            RestoreMetadata.RemoveExisting(link.Path);
        }

        File.CreateSymbolicLink(link.Path, link.Node.LinkTarget ?? "");
        RestoreMetadata.Apply(link.Path, link.Node);
    }
}
