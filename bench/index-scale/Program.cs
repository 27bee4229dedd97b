using System.Diagnostics;
using System.Runtime;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Storage.Local;

// drorch-index-scale make DIR CHUNKS   — a repository whose index objects list CHUNKS chunks
// drorch-index-scale open DIR [CACHE]  — open it, list snapshots; time and resident bytes per chunk (CACHE: the local index cache's folder)
// drorch-index-scale dictionary CHUNKS — the same ids in a Dictionary<BlobId, BlobLocation> (the index before the compact table)
// drorch-index-scale history DIR COUNT — add COUNT small snapshots (policy bench-history, path /history) to an existing repository
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: make DIR CHUNKS | open DIR [CACHE] | dictionary CHUNKS | history DIR COUNT");
    return 2;
}

var key = RepositoryKey.FromPassphrase("bench-not-a-secret");
switch (args[0])
{
    case "make":
        await MakeAsync(args[1], long.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    case "open":
        await OpenAsync(args[1], args.Length > 2 ? args[2] : null);
        return 0;
    case "history":
        await HistoryAsync(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    case "dictionary":
        Dictionary(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    default:
        Console.Error.WriteLine($"unknown command {args[0]}");
        return 2;
}

// 16 chunks of 256 KiB-4 MiB per pack (the chunker's range around its 1 MiB average), 2,000
// packs per index object: what a repository of ~20 TB of incompressible data would list. Ids come from a seeded generator, so the same
// CHUNKS always make the same repository.
async Task MakeAsync(string dir, long chunks)
{
    var clock = Stopwatch.StartNew();
    var store = LocalObjectStore.Create(new LocalTargetOptions { Path = Path.GetFullPath(dir) });
    await using var repo = await BackupRepository.InitAsync(store, key, null, CancellationToken.None);
    var rng = new Random(10_000_000);
    const int PerPack = 16;
    const int PacksPerIndex = 2_000;
    var ids = new byte[BlobId.Size];
    BlobId NextId()
    {
        rng.NextBytes(ids);
        return new BlobId(ids);
    }

    long written = 0;
    while (written < chunks)
    {
        var packs = new List<PackRecord>(PacksPerIndex);
        for (var p = 0; p < PacksPerIndex && written < chunks; p++)
        {
            var entries = new List<PackEntry>(PerPack);
            uint offset = 0;
            for (var e = 0; e < PerPack && written < chunks; e++, written++)
            {
                var plain = (uint)rng.Next(256 * 1024, 4 * 1024 * 1024);
                entries.Add(new PackEntry(BlobType.Data, false, NextId(), offset, plain + 28, plain));
                offset += plain + 28;
            }

            packs.Add(new PackRecord(NextId(), offset + 4096L, entries));
        }

        await repo.SaveIndexAsync(packs, CancellationToken.None);
    }

    var now = DateTimeOffset.UtcNow;
    await repo.SaveSnapshotAsync(new Snapshot(NextId().ToString(), now, now, "bench", ["/synthetic"], "bench-index", new Dictionary<string, string>(),
        NextId().ToString(), null, new SnapshotSummary(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, TimeSpan.Zero, 0, 0)), CancellationToken.None);
    Console.WriteLine($"made {dir}: {written:N0} chunks in {(written + (PerPack * PacksPerIndex) - 1) / (PerPack * PacksPerIndex)} index objects, {clock.Elapsed.TotalSeconds:F1} s");
}

// The snapshots a long history leaves: each a small backup of another source (its own tree of
// one tiny file, stored once), so a later backup of the big source must read past them all but
// never takes one as its parent.
async Task HistoryAsync(string dir, int count)
{
    var clock = Stopwatch.StartNew();
    var store = LocalObjectStore.Create(new LocalTargetOptions { Path = Path.GetFullPath(dir) });
    await using var repo = await BackupRepository.OpenAsync(store, key, CancellationToken.None);
    var start = DateTimeOffset.UtcNow.AddDays(-count);
    for (var i = 0; i < count; i++)
    {
        var when = start.AddHours(i);
        var id = BlobId.Hash(System.Text.Encoding.UTF8.GetBytes($"history {i} {when:O}"));
        await repo.SaveSnapshotAsync(new Snapshot(id.ToString(), when, when, "bench", ["/history"], "bench-history", new Dictionary<string, string>(),
            id.ToString(), null, new SnapshotSummary(0, 1, 0, 1, 1, 20, 20, 20, 20, 0, TimeSpan.FromSeconds(1), 0, 0)), CancellationToken.None);
    }

    Console.WriteLine($"added {count} snapshots to {dir} in {clock.Elapsed.TotalSeconds:F1} s");
}

async Task OpenAsync(string dir, string? cache)
{
    var store = LocalObjectStore.Create(new LocalTargetOptions { Path = Path.GetFullPath(dir) });
    var (managedStart, rssStart) = Settle();
    await WarmUpAsync(cache);
    var (managedBefore, rssBefore) = Settle();
    Console.WriteLine($"fixed cost (code, crypto libraries, threads: opening a one-chunk repository first): managed +{(managedBefore - managedStart) / 1048576.0:F1} MiB, resident +{(rssBefore - rssStart) / 1048576.0:F1} MiB");
    var cpuBefore = Environment.CpuUsage.TotalTime;
    var clock = Stopwatch.StartNew();
    await using var repo = await BackupRepository.OpenAsync(store, key, cache is null ? null : new IndexCacheOptions(Path.GetFullPath(cache)), CancellationToken.None);
    var snapshots = await repo.ListSnapshotsAsync(CancellationToken.None);
    var elapsed = clock.Elapsed;
    var cpu = Environment.CpuUsage.TotalTime - cpuBefore;
    var (managedAfter, rssAfter) = Settle();
    var chunks = repo.Index.BlobCount;
    var load = repo.IndexLoad;
    Console.WriteLine($"open + list snapshots: {elapsed.TotalSeconds:F2} s, {cpu.TotalSeconds:F2} CPU-s, {snapshots.Count} snapshot(s), {chunks:N0} chunks");
    Console.WriteLine($"index: {load.ObjectsRead} of {load.ObjectsListed} index objects read, cache {(cache is null ? "off" : load.FromCache ? "used" : "not used")}{(load.CacheWritten ? ", written" : "")}{(load.CacheProblem is null ? "" : $" ({load.CacheProblem})")}");
    Console.WriteLine($"managed heap: +{(managedAfter - managedBefore) / (double)chunks:F1} bytes/chunk; resident (VmRSS): +{(rssAfter - rssBefore) / (double)chunks:F1} bytes/chunk; peak VmHWM {Status("VmHWM") / 1048576.0:F0} MiB");
    GC.KeepAlive(repo);
}

// Opens (and lists) a repository of one chunk, through the cache when one is measured, so the
// code, crypto libraries and threads an open needs are resident before the figure per chunk is taken.
async Task WarmUpAsync(string? cache)
{
    var dir = Directory.CreateTempSubdirectory("index-scale-warm-up");
    try
    {
        var store = LocalObjectStore.Create(new LocalTargetOptions { Path = Path.Combine(dir.FullName, "repo") });
        var options = cache is null ? null : new IndexCacheOptions(Path.Combine(dir.FullName, "cache"));
        await using (var made = await BackupRepository.InitAsync(store, key, null, CancellationToken.None))
        {
            await made.SaveIndexAsync([new PackRecord(BlobId.Random(), 100, [new PackEntry(BlobType.Data, false, BlobId.Random(), 0, 60, 32)])], CancellationToken.None);
        }

        for (var i = 0; i < 2; i++)
        {
            await using var repo = await BackupRepository.OpenAsync(store, key, options, CancellationToken.None);
            await repo.ListSnapshotsAsync(CancellationToken.None);
        }
    }
    finally
    {
        dir.Delete(recursive: true);
    }
}

void Dictionary(int chunks)
{
    var (managedBefore, rssBefore) = Settle();
    var rng = new Random(10_000_000);
    var ids = new byte[BlobId.Size];
    var d = new Dictionary<BlobId, BlobLocation>();
    for (var i = 0; i < chunks; i++)
    {
        rng.NextBytes(ids);
        d.TryAdd(new BlobId(ids), new BlobLocation(i / 16, 0, 1, 1, BlobType.Data, false));
    }

    var (managedAfter, rssAfter) = Settle();
    Console.WriteLine($"Dictionary<BlobId, BlobLocation>: managed +{(managedAfter - managedBefore) / (double)chunks:F1} bytes/chunk; resident +{(rssAfter - rssBefore) / (double)chunks:F1} bytes/chunk; peak VmHWM {Status("VmHWM") / 1048576.0:F0} MiB");
    GC.KeepAlive(d);
}

// A full compacting collection (large objects included), then the managed heap size and VmRSS.
static (long Managed, long Resident) Settle()
{
    GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    return (GC.GetTotalMemory(forceFullCollection: true), Status("VmRSS"));
}

static long Status(string field)
{
    var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
}
