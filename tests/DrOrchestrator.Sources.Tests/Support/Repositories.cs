using DrOrchestrator.Core.Check;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Sources.Tests.Support;

/// <summary>In-memory repositories with the production chunker (~1 MiB chunks, so dedup figures are real) and a cheap KDF.</summary>
internal static class Repositories
{
    public static RepositoryKey Key { get; } = RepositoryKey.FromPassphrase("sources test passphrase");

    public static async Task<BackupRepository> NewAsync(RepositoryInitOptions? options = null) =>
        await BackupRepository.InitAsync(new InMemoryObjectStore(), Key, options ?? new RepositoryInitOptions { KdfIterations = 1000 }, CancellationToken.None);

    /// <summary>Small chunks and packs: many chunks from small test data.</summary>
    public static Task<BackupRepository> NewSmallAsync() =>
        NewAsync(new RepositoryInitOptions { ChunkMinSize = 16 * 1024, ChunkAverageSize = 64 * 1024, ChunkMaxSize = 256 * 1024, PackSize = 256 * 1024, KdfIterations = 1000 });

    /// <summary>Every object key of the repository's store, sorted.</summary>
    public static async Task<List<string>> ObjectKeysAsync(BackupRepository repository)
    {
        var keys = new List<string>();
        await foreach (var info in repository.Store.ListAsync("", CancellationToken.None))
        {
            keys.Add(info.Key);
        }

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    /// <summary>What a fresh reader of the store sees: the snapshots listed and every finding of a full check (reading all data).</summary>
    public static async Task<(IReadOnlyList<Snapshot> Snapshots, List<CheckFinding> Findings)> InspectAsync(BackupRepository repository)
    {
        var reopened = await BackupRepository.OpenAsync(repository.Store, Key, CancellationToken.None);
        var findings = new List<CheckFinding>();
        await foreach (var finding in new Checker().CheckAsync(reopened, new CheckOptions(ReadData: true), CancellationToken.None))
        {
            findings.Add(finding);
        }

        return (await reopened.ListSnapshotsAsync(CancellationToken.None), findings);
    }
}
