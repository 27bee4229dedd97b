using System.Buffers;
using System.Security.Cryptography;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Core.Prune;

/// <summary>
/// Forgets snapshots and reclaims the space nothing uses any more, while backups keep running:
/// no lock. Two phases, as Kopia does it (docs/decisions.md §32, FORMAT.md "Prune"):
/// <list type="number">
/// <item><b>Mark.</b> Packs older than the grace period that no snapshot uses are written into a
/// <c>deletions/</c> mark (with their index records), then taken out of the indexes (new index
/// objects first, the superseded ones deleted after). Partly used packs beyond
/// <see cref="PruneOptions.MaxUnused"/> first have their used blobs copied, still sealed, into
/// new packs through the <see cref="RepositoryWriter"/>, and are marked too. From then on no
/// backup that opens the repository dedups against a marked pack.</item>
/// <item><b>Sweep.</b> A mark older than the grace period is re-checked against the snapshots
/// that exist now: a marked pack holding a blob some snapshot uses and no live pack holds (a
/// backup that started before the mark used it) is indexed again; the others are deleted, the
/// mark last.</item>
/// </list>
/// Killed at any point, the repository stays consistent (every pack is in an index or in a mark,
/// and nothing a snapshot uses is deleted); the next prune completes what was started.
/// </summary>
/// <remarks>
/// Assumes one prune per repository at a time (the service runs prunes one per target) and that
/// no backup runs longer than the grace period.
/// </remarks>
public sealed class Pruner
{
    private const int PacksPerIndexObject = 4096;

    /// <summary>Bytes read from a pack in one ranged request while repacking.</summary>
    private const long RepackReadSpan = 8L * 1024 * 1024;

    /// <summary>At most this many packs are read and verified at once while repacking (one per core, at least two).</summary>
    private const int RepackWorkers = 4;

    private readonly ILogger _logger;

    public Pruner(ILogger<Pruner>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Deletes the snapshot objects <paramref name="forget"/> (full ids), then marks and sweeps.
    /// The caller removes the catalog's rows of those snapshots first, so no row ever points at a
    /// deleted snapshot.
    /// </summary>
    public async Task<PruneReport> PruneAsync(BackupRepository repository, IReadOnlyCollection<string> forget, PruneOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(forget);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var run = new Run(repository, options, _logger, ct);
        return await run.ExecuteAsync(forget).ConfigureAwait(false);
    }

    private sealed class Run(BackupRepository repo, PruneOptions options, ILogger logger, CancellationToken ct)
    {
        private int _forgotten;
        private int _marked;
        private int _repacked;
        private long _bytesRepacked;
        private int _deleted;
        private long _bytesDeleted;
        private int _spared;

        private readonly PhaseTimer _timer = new(logger, repo.Store.Description);

        private DateTimeOffset Now => options.Clock.GetUtcNow();

        public async Task<PruneReport> ExecuteAsync(IReadOnlyCollection<string> forget)
        {
            var before = await PackBytesAsync().ConfigureAwait(false);
            await ForgetAsync(forget).ConfigureAwait(false);
            _timer.Lap("forget");
            await CompleteInterruptedMarksAsync().ConfigureAwait(false);
            _timer.Lap("complete interrupted marks");
            var scan = await RepositoryScan.ReadAsync(repo, null, ct).ConfigureAwait(false);
            _timer.Lap("scan");
            await MarkAsync(scan).ConfigureAwait(false);
            _timer.Lap("mark");
            var pending = await SweepAsync(scan).ConfigureAwait(false);
            _timer.Lap("sweep");
            var after = await PackBytesAsync().ConfigureAwait(false);
            var report = new PruneReport(_forgotten, _marked, _repacked, _bytesRepacked, _deleted, _bytesDeleted, _spared, pending, before, after);
            Log.PruneFinished(logger, repo.Store.Description, report.SnapshotsForgotten, report.PacksMarked, report.PacksRepacked, report.PacksDeleted, report.BytesDeleted, report.MarksPending);
            return report;
        }

        private void Checkpoint(string point) => options.Checkpoint?.Invoke(point);

        private async Task<long> PackBytesAsync()
        {
            long total = 0;
            await foreach (var info in repo.Store.ListAsync(ObjectKeys.DataPrefix, ct).ConfigureAwait(false))
            {
                total += info.Size;
            }

            return total;
        }

        private async Task ForgetAsync(IReadOnlyCollection<string> forget)
        {
            foreach (var id in forget)
            {
                if (!BlobId.TryParse(id, out var parsed))
                {
                    throw new ArgumentException($"\"{id}\" is not a full snapshot id", nameof(forget));
                }

                await repo.Store.DeleteAsync(ObjectKeys.Snapshot(parsed.ToString()), ct).ConfigureAwait(false);
                if (++_forgotten == 1)
                {
                    Checkpoint(PruneCheckpoints.AfterFirstSnapshotForgotten);
                }
            }
        }

        /// <summary>
        /// A mark whose superseded indexes still exist was interrupted before its packs left the
        /// indexes: backups may still have found them since. Finish the rewrite and date the mark
        /// anew, so its grace period starts when the packs really became invisible.
        /// </summary>
        private async Task CompleteInterruptedMarksAsync()
        {
            var marks = await RepositoryScan.ReadMarksAsync(repo, ct).ConfigureAwait(false);
            var existing = (await repo.Store.ListAllAsync(ObjectKeys.IndexPrefix, ct).ConfigureAwait(false)).Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
            var marked = marks.SelectMany(m => m.Packs).Select(p => p.Id).ToHashSet();
            foreach (var mark in marks.Where(m => m.SupersededIndexes.Any(existing.Contains)))
            {
                var redated = DeletionMark.New(Now, mark.SupersededIndexes, mark.Packs);
                await WriteMarkAsync(redated).ConfigureAwait(false);
                Checkpoint(PruneCheckpoints.AfterMarkRedated);
                await repo.Store.DeleteAsync(mark.Key, ct).ConfigureAwait(false);
                await RewriteIndexesAsync([.. mark.SupersededIndexes.Where(existing.Contains)], marked).ConfigureAwait(false);
            }
        }

        private async Task MarkAsync(RepositoryScan scan)
        {
            var oldEnough = Now - options.GracePeriod;
            bool IsOld(ObjectInfo info) => info.LastModified is { } modified && modified <= oldEnough;

            var claimed = ClaimUsedBlobs(scan);
            var unused = new List<PackRecord>();
            var candidates = new List<RepackCandidate>();
            long usedBytes = 0, unusedBytes = 0;
            foreach (var (id, pack) in scan.IndexedPacks)
            {
                if (scan.MarkedPacks.Contains(id) || !scan.StorePacks.ContainsKey(id))
                {
                    continue;
                }

                var keep = claimed.GetValueOrDefault(id) ?? [];
                var keptBytes = keep.Sum(e => (long)e.Length);
                var waste = Math.Max(0, pack.Size - keptBytes - HeaderBytes(pack));
                if (!IsOld(scan.StorePacks[id]))
                {
                    // Too young to touch: what it holds stays, used or not.
                    usedBytes += keptBytes;
                    unusedBytes += waste;
                }
                else if (keep.Count == 0)
                {
                    unused.Add(pack);
                }
                else
                {
                    usedBytes += keptBytes;
                    unusedBytes += waste;
                    if (waste > 0)
                    {
                        candidates.Add(new RepackCandidate(pack, keep, keptBytes, waste));
                    }
                }
            }

            var repack = ChooseRepacks(candidates, usedBytes, unusedBytes, options.MaxUnused);
            Log.PruneSpace(logger, repo.Store.Description, usedBytes, unusedBytes, unused.Count, candidates.Count, repack.Count);

            var orphans = await ReadOrphansAsync(scan, IsOld).ConfigureAwait(false);
            unused.AddRange(orphans.Unused);
            if (orphans.Needed.Count > 0)
            {
                // A pack no index lists but a snapshot needs (an index lost to damage): index it again.
                await repo.WriteIndexObjectAsync(orphans.Needed, ct).ConfigureAwait(false);
            }

            if (repack.Count > 0)
            {
                await RepackAsync(repack).ConfigureAwait(false);
                _timer.Lap("repack");
                unused.AddRange(repack.Select(r => r.Pack));
            }

            if (unused.Count == 0)
            {
                return;
            }

            var superseded = unused.SelectMany(p => scan.IndexesOfPack.GetValueOrDefault(p.Id) ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var mark = DeletionMark.New(Now, superseded, unused);
            await WriteMarkAsync(mark).ConfigureAwait(false);
            _marked += unused.Count;
            Checkpoint(PruneCheckpoints.AfterMarkWritten);
            var marked = scan.MarkedPacks.Concat(unused.Select(p => p.Id)).ToHashSet();
            await RewriteIndexesAsync(superseded, marked, scan.Indexes).ConfigureAwait(false);
        }

        private sealed record RepackCandidate(PackRecord Pack, List<PackEntry> Keep, long UsedBytes, long UnusedBytes);

        /// <summary>
        /// The partly used packs to repack: restic's <c>--max-unused</c> budget over the whole
        /// repository (docs/decisions.md §62). Packs are taken emptiest first (most unused bytes per
        /// used byte: the most space for the least copying) until the unused bytes left in the
        /// packs that stay are at most <paramref name="maxUnused"/> of what stays. 0 repacks every
        /// pack with a byte unused; 1 repacks none.
        /// </summary>
        private static List<(PackRecord Pack, List<PackEntry> Keep)> ChooseRepacks(List<RepackCandidate> candidates, long usedBytes, long unusedBytes, double maxUnused)
        {
            var chosen = new List<(PackRecord, List<PackEntry>)>();
            if (maxUnused >= 1)
            {
                return chosen;
            }

            // unused ≤ p × (used + unused)  ⇔  unused ≤ p / (1 − p) × used
            var budget = maxUnused / (1 - maxUnused) * usedBytes;
            foreach (var c in candidates.OrderByDescending(c => (double)c.UnusedBytes / Math.Max(1, c.UsedBytes)).ThenBy(c => c.Pack.Id))
            {
                if (unusedBytes <= budget)
                {
                    break;
                }

                chosen.Add((c.Pack, c.Keep));
                unusedBytes -= c.UnusedBytes;
            }

            return chosen;
        }

        /// <summary>
        /// Which pack's copy of each used blob is the one kept: packs that are most used first,
        /// so a blob stored twice (a repack interrupted after its copy) stays in the full pack and
        /// the other copy counts as unused. Marked packs and packs the store lacks keep nothing.
        /// </summary>
        private static Dictionary<BlobId, List<PackEntry>> ClaimUsedBlobs(RepositoryScan scan)
        {
            var candidates = scan.IndexedPacks.Values
                .Where(p => !scan.MarkedPacks.Contains(p.Id) && scan.StorePacks.ContainsKey(p.Id))
                .Select(p => (Pack: p, Used: p.Entries.Where(e => scan.Used.Contains(e.Id)).Sum(e => (long)e.Length)))
                .OrderByDescending(p => (double)p.Used / Math.Max(1, p.Pack.Size)).ThenByDescending(p => p.Pack.Size).ThenBy(p => p.Pack.Id)
                .ToList();
            var taken = new HashSet<BlobId>();
            var claimed = new Dictionary<BlobId, List<PackEntry>>();
            foreach (var (pack, _) in candidates)
            {
                var keep = pack.Entries.Where(e => scan.Used.Contains(e.Id) && taken.Add(e.Id)).ToList();
                if (keep.Count > 0)
                {
                    claimed[pack.Id] = keep;
                }
            }

            return claimed;
        }

        private static long HeaderBytes(PackRecord pack) =>
            5 + (pack.Entries.Count * (long)PackEntry.EncodedSize) + Security.Aead.Overhead + PackHeader.LengthFieldSize;

        /// <summary>Packs in the store that no index and no mark lists, old enough: unused ones to mark, needed ones to index again.</summary>
        private async Task<(List<PackRecord> Unused, List<PackRecord> Needed)> ReadOrphansAsync(RepositoryScan scan, Func<ObjectInfo, bool> isOld)
        {
            var unused = new List<PackRecord>();
            var needed = new List<PackRecord>();
            foreach (var (id, info) in scan.StorePacks)
            {
                if (scan.IndexedPacks.ContainsKey(id) || scan.MarkedPacks.Contains(id) || !isOld(info))
                {
                    continue;
                }

                var entries = await ReadHeaderAsync(id, info.Size).ConfigureAwait(false);
                var record = new PackRecord(id, info.Size, entries ?? []);
                (entries is not null && entries.Any(e => scan.Used.Contains(e.Id) && !scan.Available.Contains(e.Id)) ? needed : unused).Add(record);
            }

            return (unused, needed);
        }

        /// <summary>A pack's entries from its own header; null when the header cannot be read (an unreadable orphan holds nothing usable).</summary>
        private async Task<List<PackEntry>?> ReadHeaderAsync(BlobId id, long size)
        {
            var key = ObjectKeys.Pack(id);
            try
            {
                var lengthField = await repo.Store.ReadAllBytesAsync(key, new ByteRange(size - PackHeader.LengthFieldSize, PackHeader.LengthFieldSize), ct).ConfigureAwait(false);
                var length = lengthField.Length == PackHeader.LengthFieldSize ? System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(lengthField) : -1;
                if (length <= 0 || length > size - PackHeader.LengthFieldSize)
                {
                    return null;
                }

                var header = await repo.Store.ReadAllBytesAsync(key, new ByteRange(size - PackHeader.LengthFieldSize - length, length), ct).ConfigureAwait(false);
                using var aead = repo.Key.CreateAead();
                return PackHeader.Open(header, aead);
            }
            catch (Exception e) when (e is CryptographicException or FormatException or ObjectNotFoundException)
            {
                return null;
            }
        }

        /// <summary>Copies the kept blobs of each pack, still sealed and verified, into new packs, made durable and indexed.</summary>
        private async Task RepackAsync(List<(PackRecord Pack, List<PackEntry> Keep)> packs)
        {
            var writer = RepositoryWriter.Start(repo);
            await using (writer.ConfigureAwait(false))
            {
                // Packs are read and verified by a few workers at once (the writer takes blobs from
                // several callers): verification is most of repack's CPU, and one worker left the
                // second core idle. Each worker has one read buffer for all its reads — a fresh
                // array per read put ~25 large objects per 200 MiB on the heap — from the engine's
                // capped pool, as are the verification's plain buffers (docs/decisions.md §62).
                var pool = writer.Pool;
                var workers = new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Math.Clamp(Environment.ProcessorCount, 2, RepackWorkers) };
                await Parallel.ForEachAsync(packs, workers, async (item, token) =>
                {
                    var (pack, keep) = item;
                    using var codec = repo.CreateCodec(pool);
                    var buffer = pool.Rent((int)RepackReadSpan);
                    try
                    {
                        var key = ObjectKeys.Pack(pack.Id);
                        foreach (var run in Runs(keep.OrderBy(e => e.Offset).ToList()))
                        {
                            var start = run[0].Offset;
                            var length = (int)((long)run[^1].Offset + run[^1].Length - start);
                            if (length > buffer.Length)
                            {
                                pool.Return(buffer);
                                buffer = pool.Rent(length);
                            }

                            await ReadRangeAsync(key, start, buffer.AsMemory(0, length), token).ConfigureAwait(false);
                            foreach (var entry in run)
                            {
                                var sealedBlob = buffer.AsMemory((int)(entry.Offset - start), (int)entry.Length);
                                Verify(codec, pool, key, entry, sealedBlob.Span);
                                await writer.CopySealedBlobAsync(entry, sealedBlob, token).ConfigureAwait(false);
                                Interlocked.Add(ref _bytesRepacked, entry.Length);
                            }
                        }

                        Interlocked.Increment(ref _repacked);
                    }
                    finally
                    {
                        pool.Return(buffer);
                    }
                }).ConfigureAwait(false);

                await writer.FlushAsync(ct).ConfigureAwait(false);
            }

            Checkpoint(PruneCheckpoints.AfterRepackFlush);
        }

        /// <summary>Reads exactly <paramref name="into"/>'s length from <paramref name="key"/> at <paramref name="start"/>; a shorter pack is damage.</summary>
        private async Task ReadRangeAsync(string key, long start, Memory<byte> into, CancellationToken token)
        {
            var stream = await repo.Store.GetAsync(key, new ByteRange(start, into.Length), token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                if (await StoreExtensions.ReadFullyAsync(stream, into, token).ConfigureAwait(false) != into.Length)
                {
                    throw new RepositoryCorruptException($"{repo.Store.Description}: {key}: pack is shorter than the index says; prune stopped before repacking it, see `drorch check --read-data`");
                }
            }
        }

        /// <summary>Consecutive entries read with one request, at most <see cref="RepackReadSpan"/> bytes.</summary>
        private static IEnumerable<List<PackEntry>> Runs(List<PackEntry> entries)
        {
            var run = new List<PackEntry>();
            foreach (var entry in entries)
            {
                if (run.Count > 0 && (long)entry.Offset + entry.Length - run[0].Offset > RepackReadSpan)
                {
                    yield return run;
                    run = [];
                }

                run.Add(entry);
            }

            if (run.Count > 0)
            {
                yield return run;
            }
        }

        /// <summary>A damaged blob is not copied: repacking would only move the damage and hide it from check.</summary>
        private void Verify(BlobCodec codec, ArrayPool<byte> pool, string packKey, PackEntry entry, ReadOnlySpan<byte> sealedBlob)
        {
            var location = new BlobLocation(0, entry.Offset, entry.Length, entry.PlainLength, entry.Type, entry.Compressed);
            byte[] plain;
            try
            {
                plain = codec.Open(entry.Id, location, sealedBlob);
            }
            catch (Exception e) when (e is CryptographicException or InvalidDataException)
            {
                throw new RepositoryCorruptException($"{repo.Store.Description}: {packKey}: blob {entry.Id} is corrupt ({e.Message}); prune stopped before repacking it, see `drorch check --read-data`", e);
            }

            var matches = BlobId.Hash(plain.AsSpan(0, (int)entry.PlainLength)) == entry.Id;
            pool.Return(plain);
            if (!matches)
            {
                throw new RepositoryCorruptException($"{repo.Store.Description}: {packKey}: blob {entry.Id} does not match its id; prune stopped before repacking it, see `drorch check --read-data`");
            }
        }

        private async Task WriteMarkAsync(DeletionMark mark)
        {
            var sealedMark = ObjectCodec.Seal(repo.Key, ObjectCodec.Deletion, mark.Encode(), compress: true);
            await BackupRepository.PutBytesAsync(repo.Store, mark.Key, sealedMark, ct).ConfigureAwait(false);
        }

        /// <summary>
        /// Replaces the index objects <paramref name="superseded"/> by new ones listing the same
        /// packs minus <paramref name="marked"/>: the new ones are written first, so every pack
        /// stays findable however the process ends.
        /// </summary>
        private async Task RewriteIndexesAsync(IReadOnlyList<string> superseded, HashSet<BlobId> marked, Dictionary<string, List<PackRecord>>? known = null)
        {
            if (superseded.Count == 0)
            {
                return;
            }

            var contents = known is not null && superseded.All(known.ContainsKey)
                ? superseded.ToDictionary(k => k, k => known[k], StringComparer.Ordinal)
                : await RepositoryScan.ReadIndexesAsync(repo, superseded, ct).ConfigureAwait(false);
            var seen = new HashSet<BlobId>();
            var kept = contents.Values.SelectMany(p => p).Where(p => !marked.Contains(p.Id) && seen.Add(p.Id)).ToList();
            foreach (var batch in kept.Chunk(PacksPerIndexObject))
            {
                await repo.WriteIndexObjectAsync(batch, ct).ConfigureAwait(false);
            }

            Checkpoint(PruneCheckpoints.AfterIndexRewritten);
            var first = true;
            foreach (var key in superseded)
            {
                await repo.Store.DeleteAsync(key, ct).ConfigureAwait(false);
                if (first)
                {
                    first = false;
                    Checkpoint(PruneCheckpoints.AfterFirstSupersededIndexDeleted);
                }
            }
        }

        /// <summary>Deletes the packs of every mark whose grace period has passed, after a re-check; returns how many marks still wait.</summary>
        private async Task<int> SweepAsync(RepositoryScan markScan)
        {
            var marks = await RepositoryScan.ReadMarksAsync(repo, ct).ConfigureAwait(false);
            var due = marks.Where(m => Now - m.Created >= options.GracePeriod).ToList();
            if (due.Count == 0)
            {
                return marks.Count;
            }

            // The re-check: the snapshots and indexes as they are now, after the grace period. Only
            // snapshots the mark's scan did not walk are walked: a snapshot's trees never change,
            // so the blobs the others use are known (docs/decisions.md §62).
            var scan = await RepositoryScan.ReadAsync(repo, markScan, ct).ConfigureAwait(false);
            var existingIndexes = scan.Indexes.Keys.ToHashSet(StringComparer.Ordinal);
            var swept = 0;
            foreach (var mark in due)
            {
                if (mark.SupersededIndexes.Any(existingIndexes.Contains))
                {
                    continue; // an index still lists some of its packs: CompleteInterruptedMarksAsync's job next time
                }

                await SweepAsync(scan, mark).ConfigureAwait(false);
                swept++;
            }

            return marks.Count - swept;
        }

        private async Task SweepAsync(RepositoryScan scan, DeletionMark mark)
        {
            var reindex = new List<PackRecord>();
            var delete = new List<PackRecord>();
            foreach (var pack in mark.Packs)
            {
                if (scan.IndexedPacks.ContainsKey(pack.Id))
                {
                    _spared++; // indexed again since (an earlier sweep re-indexed it): it is live
                }
                else if (pack.Entries.Any(e => scan.Used.Contains(e.Id) && !scan.Available.Contains(e.Id)))
                {
                    if (scan.StorePacks.ContainsKey(pack.Id))
                    {
                        reindex.Add(pack);
                    }

                    _spared++;
                    Log.MarkedPackSpared(logger, repo.Store.Description, pack.Id.ToString());
                }
                else
                {
                    delete.Add(pack);
                }
            }

            if (reindex.Count > 0)
            {
                await repo.WriteIndexObjectAsync(reindex, ct).ConfigureAwait(false);
                Checkpoint(PruneCheckpoints.AfterSweepReindex);
            }

            var first = true;
            foreach (var pack in delete)
            {
                if (scan.StorePacks.TryGetValue(pack.Id, out var info))
                {
                    await repo.Store.DeleteAsync(ObjectKeys.Pack(pack.Id), ct).ConfigureAwait(false);
                    _deleted++;
                    _bytesDeleted += info.Size;
                    if (first)
                    {
                        first = false;
                        Checkpoint(PruneCheckpoints.AfterFirstPackDeleted);
                    }
                }
            }

            Checkpoint(PruneCheckpoints.BeforeMarkDeleted);
            await repo.Store.DeleteAsync(mark.Key, ct).ConfigureAwait(false);
        }
    }
}
