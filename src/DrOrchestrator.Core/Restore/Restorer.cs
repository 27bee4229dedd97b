using System.Buffers;
using System.Diagnostics;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Core.Restore;

/// <summary>
/// Restores a snapshot (or part of it) into a directory, verifying every file's SHA-256.
/// See README.md in this folder for the guarantees (never writes outside the destination; a
/// file gets its real name only once verified) and the limits.
/// </summary>
public sealed class Restorer
{
    private readonly ILogger _logger;

    public Restorer(ILogger<Restorer>? logger = null)
    {
        _logger = logger ?? NullLogger<Restorer>.Instance;
    }

    /// <summary>
    /// Restores every selected file it can. A file that cannot be read back intact (a damaged or
    /// missing chunk on every copy, a checksum mismatch) is never left under its real name: it is
    /// listed in <see cref="RestoreResult.Failures"/> and the restore goes on with the others.
    /// </summary>
    /// <exception cref="RestoreRefusedException">Destination not empty (without Overwrite) or an unsafe name in the snapshot; nothing written.</exception>
    /// <exception cref="RepositoryCorruptException">The snapshot's root listing is missing or damaged: nothing can be planned. A damaged listing below the root fails only what it held (listed in <see cref="RestoreResult.Failures"/>).</exception>
    public async Task<RestoreResult> RestoreAsync(BackupRepository repo, RestoreRequest request, IProgress<RestoreProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(repo);
        ArgumentNullException.ThrowIfNull(request);
        var clock = Stopwatch.StartNew();
        var full = Path.GetFullPath(request.Destination);
        var destination = full.Length > 1 ? full.TrimEnd('/') : full;
        CheckDestination(destination, request.Overwrite);
        if (request.Delete && request.Include.Count > 0)
        {
            throw new RestoreRefusedException("--delete cannot be combined with --include (it would remove every path the filter leaves out)");
        }

        var include = IncludeFilter.ToSnapshotGlobs(request.Include, request.Snapshot);
        var plan = await RestorePlan.BuildAsync(repo, request.Snapshot, destination, request.Paths is { } paths ? new ExactPathSelection(paths) : new GlobMatcher(include), ct).ConfigureAwait(false);
        if (request.Paths is null && include.Count > 0 && plan.Files.Count + plan.Directories.Count + plan.Symlinks.Count == 0)
        {
            throw IncludeFilter.MatchesNothing(request.Include, request.Snapshot);
        }

        var links = HardLinkGroups.Split(plan.Files);
        var packs = GroupByPack(repo, plan.Files);

        Directory.CreateDirectory(destination);
        foreach (var dir in plan.Directories)
        {
            CreateDirectory(dir.Path, request.Overwrite);
        }

        using var finished = new PageCacheReleaser();
        var files = new FileWriteContext(request, BufferPool.Engine, finished);
        var tracker = new RestoreTracker(plan, progress);
        using var retry = new RetryStore(repo.Store);
        try
        {
            foreach (var empty in plan.Files.Where(f => f.ChunkCount == 0 && f.Failure is null))
            {
                if (empty.WriteEmpty(files))
                {
                    tracker.FileDone(empty);
                }
            }

            var reader = new PackReader(repo, files, tracker.FileDone, retry.Available ? retry.Get : null, tracker.Written);
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
            await Parallel.ForEachAsync(TakeEach(packs), options, (p, token) => new ValueTask(reader.RestorePackAsync(p, token))).ConfigureAwait(false);
        }
        catch
        {
            // Interrupted or broken off: nothing half-written stays, under any name.
            plan.Files.Where(f => !f.Restored).ToList().ForEach(f => f.Discard(keep: false, request.Overwrite));
            throw;
        }

        var failures = new List<RestoreIssue>(plan.Failures);
        foreach (var file in plan.Files.Where(f => !f.Restored))
        {
            file.Fail("not every chunk could be read"); // keeps an earlier, more precise reason
            file.Discard(request.KeepDamaged, request.Overwrite);
            var note = file.DamagedPath is { } kept ? $" (kept as {kept})" : request.KeepDamaged ? " (none of it was read: nothing kept)" : "";
            failures.Add(new RestoreIssue(file.SnapshotPath, file.Failure + note));
        }

        failures.AddRange(links.Link(request.Overwrite, tracker));
        foreach (var link in plan.Symlinks)
        {
            CreateSymlink(link, files);
        }

        var deleted = request.Delete ? DeleteExtraneous(destination, plan) : 0;

        // Directories last and deepest first: their mtime must not be bumped by what is created inside.
        for (var i = plan.Directories.Count - 1; i >= 0; i--)
        {
            RestoreMetadata.Apply(plan.Directories[i].Path, plan.Directories[i].Node, files);
        }

        failures.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        var result = tracker.Result(plan.Directories.Count, plan.Symlinks.Count) with
        {
            Failures = failures,
            Warnings = [.. files.Warnings],
            HardLinks = links.Linked,
            Deleted = deleted,
        };
        Log.RestoreFinished(_logger, request.Snapshot.ShortId, destination, result.Files, result.Bytes, clock.Elapsed.TotalSeconds);
        if (failures.Count > 0)
        {
            Log.FilesNotRestored(_logger, request.Snapshot.ShortId, failures.Count, failures[0].ToString());
        }

        return result;
    }

    /// <summary>
    /// <c>--delete</c>: removes what the destination holds beyond the snapshot (as <c>rsync --delete</c>),
    /// never following a symlink out of it. Returns how many entries were removed (a directory counts once).
    /// </summary>
    private static long DeleteExtraneous(string destination, RestorePlan plan)
    {
        var directories = new HashSet<string>(plan.Directories.Select(d => d.Path), StringComparer.Ordinal) { destination };
        var keep = new HashSet<string>(plan.Files.Select(f => f.Path).Concat(plan.Symlinks.Select(s => s.Path)), StringComparer.Ordinal);
        long deleted = 0;
        var pending = new Stack<string>([destination]);
        while (pending.TryPop(out var directory))
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
            {
                var info = new FileInfo(entry);
                var isDirectory = info.Attributes.HasFlag(FileAttributes.Directory) && info.LinkTarget is null;
                if (isDirectory && directories.Contains(entry))
                {
                    pending.Push(entry);
                }
                else if (!keep.Contains(entry) || isDirectory)
                {
                    if (isDirectory)
                    {
                        Directory.Delete(entry, recursive: true);
                    }
                    else
                    {
                        File.Delete(entry);
                    }

                    deleted++;
                }
            }
        }

        return deleted;
    }

    private static void CheckDestination(string destination, bool overwrite)
    {
        if (File.Exists(destination))
        {
            throw new RestoreRefusedException($"restore destination {destination} is a file, not a directory");
        }

        if (!overwrite && Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any())
        {
            throw new RestoreRefusedException($"restore destination {destination} is not empty (choose an empty directory, or pass --overwrite to restore over it)");
        }
    }

    /// <summary>
    /// Every chunk of every file grouped by pack, packs in order of first use (so files fill
    /// mostly in order), each pack's uses sorted by offset. A file with a chunk that is in no index
    /// is failed here and none of its chunks is read. Two passes over the files: the first counts
    /// the uses per pack, the second fills arrays of exactly that size — growing lists would hold
    /// up to twice the uses (and a copy of them) at the restore's peak, a million files' worth.
    /// </summary>
    internal static List<PackUses> GroupByPack(BackupRepository repo, IReadOnlyList<FileTarget> files)
    {
        var slots = new Dictionary<int, int>(); // pack → position in order/arrays
        var counts = new List<int>();
        var order = new List<int>();
        var located = new bool[files.Count];
        var locations = new BlobLocation[16];
        var lengths = new uint[16];
        for (var f = 0; f < files.Count; f++)
        {
            var file = files[f];
            var chunks = file.ChunkCount;
            if (chunks > locations.Length)
            {
                locations = new BlobLocation[chunks];
                lengths = new uint[chunks];
            }

            if (!Locate(repo, file, locations))
            {
                continue;
            }

            located[f] = true;
            for (var i = 0; i < chunks; i++)
            {
                var pack = locations[i].Pack;
                if (!slots.TryGetValue(pack, out var slot))
                {
                    slots.Add(pack, slot = order.Count);
                    order.Add(pack);
                    counts.Add(0);
                }

                counts[slot]++;
                lengths[i] = locations[i].PlainLength;
            }

            file.Prepare(lengths.AsSpan(0, chunks));
        }

        var uses = new ChunkUse[order.Count][];
        for (var slot = 0; slot < order.Count; slot++)
        {
            uses[slot] = new ChunkUse[counts[slot]];
            counts[slot] = 0; // from here on: how many are filled
        }

        for (var f = 0; f < files.Count; f++)
        {
            if (!located[f])
            {
                continue;
            }

            var file = files[f];
            for (var i = 0; i < file.ChunkCount; i++)
            {
                repo.Index.TryGet(file.Chunk(i), out var location); // found in the first pass; the index does not change
                var slot = slots[location.Pack];
                uses[slot][counts[slot]++] = new ChunkUse(file, i, location);
            }
        }

        var result = new List<PackUses>(order.Count);
        for (var slot = 0; slot < order.Count; slot++)
        {
            uses[slot].AsSpan().Sort((a, b) => a.Location.Offset.CompareTo(b.Location.Offset));
            result.Add(new PackUses(order[slot], uses[slot]));
        }

        return result;
    }

    /// <summary>Fills <paramref name="locations"/> with where each chunk of <paramref name="file"/> is; false (and the file failed) when one is in no index.</summary>
    private static bool Locate(BackupRepository repo, FileTarget file, BlobLocation[] locations)
    {
        for (var i = 0; i < file.ChunkCount; i++)
        {
            var id = file.Chunk(i);
            if (!repo.Index.TryGet(id, out locations[i]))
            {
                file.Fail($"chunk {i} ({id.ToShortString()}) is not in any index of {repo.Store.Description} (data lost)");
                return false;
            }
        }

        return true;
    }

    /// <summary>Hands out the packs one by one and lets go of each: a pack's uses are garbage once it is read.</summary>
    private static IEnumerable<PackUses> TakeEach(List<PackUses> packs)
    {
        for (var i = 0; i < packs.Count; i++)
        {
            var pack = packs[i];
            packs[i] = null!;
            yield return pack;
        }
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

    private static void CreateSymlink(PlannedItem link, FileWriteContext files)
    {
        if (files.Overwrite)
        {
            RestoreMetadata.RemoveExisting(link.Path);
        }

        File.CreateSymbolicLink(link.Path, link.Node.LinkTarget ?? "");
        RestoreMetadata.Apply(link.Path, link.Node, files);
    }
}
