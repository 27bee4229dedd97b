using System.Security.Cryptography;
using DrOrchestrator.Core.Check;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Prune;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Core.Tests.Prune;

/// <summary>
/// A tree of 20 files of 200 kB where each run rewrites 2 files (10 %), backed up into an
/// in-memory repository run after run, with every run's expected SHA-256 per file remembered.
/// </summary>
internal sealed class PruneScenario : IDisposable
{
    public const int Files = 20;
    public const int FileSize = 200_000;

    private readonly TempDir _dir = new();
    private int _run;

    public PruneScenario(InMemoryObjectStore? store = null)
    {
        Store = store ?? new InMemoryObjectStore();
        Directory.CreateDirectory(Source);
        for (var k = 0; k < Files; k++)
        {
            File.WriteAllBytes(Path.Combine(Source, $"f{k:D2}.bin"), TestSupport.RandomBytes(FileSize, seed: k));
        }
    }

    public InMemoryObjectStore Store { get; }

    public string Source => _dir.Sub("src");

    /// <summary>Snapshot id → file name → SHA-256 at backup time.</summary>
    public Dictionary<string, Dictionary<string, string>> Expected { get; } = [];

    public async Task InitAsync() => await BackupRepository.InitAsync(Store, TestSupport.Key, TestSupport.SmallOptions, CancellationToken.None);

    /// <summary>Changes 10 % of the tree (except before the first run) and backs it up with a freshly opened repository, as a backup run does.</summary>
    public async Task<Snapshot> BackUpNextAsync(Snapshot? parent = null)
    {
        if (_run > 0)
        {
            Change(_run);
        }

        _run++;
        var repo = await BackupRepository.OpenAsync(Store, TestSupport.Key, CancellationToken.None);
        var snapshot = (await TestSupport.BackupAsync(repo, Source, parent)).Snapshot;
        lock (Expected)
        {
            Expected[snapshot.Id] = CurrentHashes(Source);
        }

        return snapshot;
    }

    /// <summary>Rewrites the two files run <paramref name="run"/> changes.</summary>
    public void Change(int run)
    {
        foreach (var k in new[] { (2 * run) % Files, ((2 * run) + 1) % Files })
        {
            File.WriteAllBytes(Path.Combine(Source, $"f{k:D2}.bin"), TestSupport.RandomBytes(FileSize, seed: (run * 100) + k + 1000));
        }
    }

    public static Dictionary<string, string> CurrentHashes(string directory) =>
        Directory.EnumerateFiles(directory).ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))));

    public Task<BackupRepository> OpenAsync() => BackupRepository.OpenAsync(Store, TestSupport.Key, CancellationToken.None);

    /// <summary>The forget list keepLast N leaves over the policy's snapshots in the repository now.</summary>
    public async Task<List<string>> ForgetKeepingLastAsync(int keepLast)
    {
        var repo = await OpenAsync();
        var snapshots = await repo.ListSnapshotsAsync(CancellationToken.None);
        var decisions = RetentionPlanner.Evaluate(snapshots.Select(s => new RetentionCandidate(s.Id, s.Time)), new RetentionRules(keepLast, 0, 0, 0, 0), TimeZoneInfo.Utc);
        return [.. decisions.Where(d => !d.Keep).Select(d => d.Id)];
    }

    public async Task<PruneReport> PruneAsync(int keepLast, PruneOptions options)
    {
        var forget = await ForgetKeepingLastAsync(keepLast);
        return await new Pruner().PruneAsync(await OpenAsync(), forget, options, CancellationToken.None);
    }

    /// <summary>check --read-data finds no error and no warning.</summary>
    public async Task AssertCheckPassesAsync(string because)
    {
        var repo = await OpenAsync();
        var problems = new List<CheckFinding>();
        await foreach (var finding in new Checker().CheckAsync(repo, new CheckOptions(ReadData: true), CancellationToken.None))
        {
            if (finding.Severity != CheckSeverity.Info)
            {
                problems.Add(finding);
            }
        }

        Assert.True(problems.Count == 0, $"{because}: {string.Join("; ", problems.Select(p => $"{p.ObjectKey}: {p.Message}"))}");
    }

    /// <summary>Every snapshot in the repository restores, every file's SHA-256 equal to what was backed up.</summary>
    public async Task<int> AssertEverySnapshotRestoresAsync(string because)
    {
        var repo = await OpenAsync();
        var snapshots = await repo.ListSnapshotsAsync(CancellationToken.None);
        foreach (var snapshot in snapshots)
        {
            var destination = _dir.Sub("restore-" + Guid.NewGuid().ToString("N")[..8]);
            var result = await TestSupport.RestoreAsync(repo, snapshot, destination);
            Assert.True(result.Failures.Count == 0, $"{because}: {snapshot.ShortId}: {string.Join("; ", result.Failures.Select(f => $"{f.Path}: {f.Message}"))}");
            Assert.Equal(Expected[snapshot.Id], CurrentHashes(Path.Combine(destination, "src")));
            Directory.Delete(destination, recursive: true);
        }

        return snapshots.Count;
    }

    public long PackBytes() => Store.Keys.Where(k => k.StartsWith("data/", StringComparison.Ordinal)).Sum(k => (long)Store[k].Length);

    public void Dispose() => _dir.Dispose();
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
