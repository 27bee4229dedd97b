using System.Security.Cryptography;
using DrOrchestrator.Core.Check;
using DrOrchestrator.Core.Replication;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Tests.Replication;

internal static class ReplicationTestSupport
{
    public const string SourceName = "memory:source";
    public const string ReplicaName = "memory:replica";

    /// <summary>A few random files (~150 KB each) so a backup spans several 256 KiB packs.</summary>
    public static void WriteFiles(string directory, int seed, int count)
    {
        Directory.CreateDirectory(Path.Combine(directory, "sub"));
        for (var i = 0; i < count; i++)
        {
            var name = i % 2 == 0 ? $"file-{seed}-{i}.bin" : Path.Combine("sub", $"file-{seed}-{i}.bin");
            File.WriteAllBytes(Path.Combine(directory, name), TestSupport.RandomBytes(150_000 + (i * 7_919), (seed * 100) + i));
        }
    }

    public static async Task<(NamedObjectStore Store, BackupRepository Repo)> NewSourceAsync()
    {
        var store = new NamedObjectStore(SourceName);
        var repo = await BackupRepository.InitAsync(store, TestSupport.Key, TestSupport.SmallOptions, CancellationToken.None);
        return (store, repo);
    }

    /// <summary>A source repository holding one backup of <paramref name="count"/> fresh files under <c>src</c>.</summary>
    public static async Task<(NamedObjectStore Store, BackupRepository Repo, Snapshot Snapshot)> BackedUpSourceAsync(TempDir dir, int seed, int count)
    {
        WriteFiles(dir.Sub("src"), seed, count);
        var (store, repo) = await NewSourceAsync();
        var snapshot = (await TestSupport.BackupAsync(repo, dir.Sub("src"))).Snapshot;
        return (store, repo, snapshot);
    }

    public static Task<ReplicationReport> ReplicateAsync(
        IObjectStore source, IObjectStore destination, IProgress<ReplicationProgress>? progress = null, CancellationToken ct = default) =>
        new RepositoryReplicator().ReplicateAsync(source, destination, new ReplicationOptions(), progress, ct);

    /// <summary>Relative path → SHA-256 of every file under <paramref name="root"/>.</summary>
    public static SortedDictionary<string, string> FileHashes(string root)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            result[Path.GetRelativePath(root, file)] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
        }

        return result;
    }

    /// <summary>Opens the replica with the key, restores the snapshot and returns the restored files' hashes.</summary>
    public static async Task<SortedDictionary<string, string>> RestoreFromAsync(IObjectStore replica, string snapshotId, string outDirectory)
    {
        var repo = await BackupRepository.OpenAsync(replica, TestSupport.Key, CancellationToken.None);
        var snapshot = await repo.FindSnapshotAsync(snapshotId, CancellationToken.None);
        var restored = await TestSupport.RestoreAsync(repo, snapshot, outDirectory);
        Assert.Equal(restored.Files, restored.FilesVerified);
        return FileHashes(Path.Combine(outDirectory, "src"));
    }

    /// <summary>Every finding of a full (read-data) check of the store's repository.</summary>
    public static async Task<List<CheckFinding>> CheckAsync(IObjectStore store)
    {
        var repo = await BackupRepository.OpenAsync(store, TestSupport.Key, CancellationToken.None);
        var findings = new List<CheckFinding>();
        await foreach (var f in new Checker().CheckAsync(repo, new CheckOptions(ReadData: true), CancellationToken.None))
        {
            findings.Add(f);
        }

        return findings;
    }

    public static long TotalSize(NamedObjectStore store, string prefix) =>
        store.KeysUnder(prefix).Sum(k => (long)store.Inner[k].Length);
}

/// <summary>Records progress reports synchronously (Progress&lt;T&gt; would post them later).</summary>
internal sealed class RecordingProgress<T> : IProgress<T>
{
    private readonly List<T> _reports = [];

    public IReadOnlyList<T> Reports
    {
        get
        {
            lock (_reports)
            {
                return [.. _reports];
            }
        }
    }

    public void Report(T value)
    {
        lock (_reports)
        {
            _reports.Add(value);
        }
    }
}
