using System.Security.Cryptography;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Restore;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Decorators;
using DrOrchestrator.Storage.Local;
using DrOrchestrator.Storage.Tests.Decorators;

namespace DrOrchestrator.Storage.Tests.Local;

/// <summary>
/// A backup to a local directory builds its packs in the store's staging files (one write of the
/// data) instead of building them elsewhere and putting a copy — seen through the retry decorator,
/// as `drorch backup` wires a local target.
/// </summary>
public sealed class LocalStagedBackupTests : IDisposable
{
    private static readonly RepositoryInitOptions SmallPacks = new()
    {
        ChunkMinSize = 16 * 1024,
        ChunkAverageSize = 64 * 1024,
        ChunkMaxSize = 256 * 1024,
        PackSize = 256 * 1024,
        KdfIterations = 1000,
    };

    private readonly TempDirectory _directory = new("local-staged-backup");
    private readonly StagingSpyStore _spy;
    private readonly IObjectStore _store;

    public LocalStagedBackupTests()
    {
        _spy = new StagingSpyStore(LocalObjectStore.Create(new LocalTargetOptions { Path = RepositoryPath }));
        _store = new RetryingObjectStore(_spy, new RetryOptions(), new CapturingLogger());
    }

    private string RepositoryPath => Path.Combine(_directory.Path, "repo");

    private string SourcePath => Path.Combine(_directory.Path, "source");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Every_pack_is_committed_from_a_staging_file_never_put_and_the_backup_restores_byte_for_byte()
    {
        var expected = WriteSource(files: 24, seed: 1);
        var repo = await BackupRepository.InitAsync(_store, Key, SmallPacks, CancellationToken.None);

        var result = await new Archiver().BackupAsync(repo, Request(), null, CancellationToken.None);

        var packs = (await ListAsync("data/")).Order(StringComparer.Ordinal).ToList();
        Assert.True(packs.Count >= 10, $"expected many packs, got {packs.Count}");
        Assert.Equal(packs, _spy.CommittedKeys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(_spy.PutKeys, k => k.StartsWith("data/", StringComparison.Ordinal));
        Assert.Contains(_spy.PutKeys, k => k.StartsWith("index/", StringComparison.Ordinal));
        Assert.Equal(packs.Count, _spy.StagesBegun);
        Assert.Equal(0, _spy.StagesDiscarded);
        Assert.Empty(StagingFiles());
        await AssertPacksNamedBySha256Async(packs);

        var destination = Path.Combine(_directory.Path, "restored");
        await new Restorer().RestoreAsync(repo, new RestoreRequest(result.Snapshot, destination, [], Overwrite: false), null, CancellationToken.None);
        Assert.Equal(expected, Hashes(Path.Combine(destination, "source")));
    }

    [Fact]
    public async Task A_backup_cancelled_mid_way_leaves_no_staging_file_no_partial_pack_and_no_snapshot()
    {
        WriteSource(files: 24, seed: 2);
        var repo = await BackupRepository.InitAsync(_store, Key, SmallPacks, CancellationToken.None);
        using var cts = new CancellationTokenSource();
        _spy.BeforeCommit = n =>
        {
            if (n == 4)
            {
                // Hold this commit until the next pack is being staged, so the cancellation is sure
                // to catch one in flight (without the wait, whether one was depended on scheduling).
                SpinWait.SpinUntil(() => _spy.StagesBegun > n, TimeSpan.FromSeconds(10));
                cts.Cancel();
            }
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new Archiver().BackupAsync(repo, Request(), null, cts.Token));

        Assert.True(_spy.StagesDiscarded > 0, "the cancellation must have caught packs in flight");
        Assert.Equal(_spy.StagesBegun, _spy.StagesDiscarded + _spy.CommittedKeys.Count);
        Assert.Empty(StagingFiles());
        Assert.Empty(await ListAsync("snapshots/"));
        await AssertPacksNamedBySha256Async(await ListAsync("data/"));
    }

    [Fact]
    public async Task A_failed_commit_fails_the_backup_and_leaves_no_staging_file_and_no_snapshot()
    {
        WriteSource(files: 24, seed: 3);
        var repo = await BackupRepository.InitAsync(_store, Key, SmallPacks, CancellationToken.None);
        _spy.BeforeCommit = n =>
        {
            if (n == 3)
            {
                throw new ObjectStoreException(_spy.Description, null, "injected commit failure", isTransient: true);
            }
        };

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => new Archiver().BackupAsync(repo, Request(), null, CancellationToken.None));

        Assert.EndsWith("injected commit failure", ex.Message, StringComparison.Ordinal);
        Assert.Equal(_spy.StagesBegun, _spy.StagesDiscarded + _spy.CommittedKeys.Count);
        Assert.Empty(StagingFiles());
        Assert.Empty(await ListAsync("snapshots/"));
        await AssertPacksNamedBySha256Async(await ListAsync("data/"));
    }

    private static RepositoryKey Key => RepositoryKey.FromPassphrase("staged backup test");

    private FileBackupRequest Request() => new([SourcePath], [], [], "staged", null, null);

    private SortedDictionary<string, string> WriteSource(int files, int seed)
    {
        Directory.CreateDirectory(SourcePath);
        var random = new Random(seed);
        for (var i = 0; i < files; i++)
        {
            var data = new byte[random.Next(100_000, 400_000)];
            random.NextBytes(data);
            File.WriteAllBytes(Path.Combine(SourcePath, $"file-{i:D2}.bin"), data);
        }

        return Hashes(SourcePath);
    }

    private static SortedDictionary<string, string> Hashes(string root) => new(
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(root, f), f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))),
        StringComparer.Ordinal);

    private string[] StagingFiles() =>
        Directory.GetFiles(RepositoryPath, LocalObjectStore.TempFilePrefix + "*", SearchOption.AllDirectories);

    private async Task<List<string>> ListAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (var item in _store.ListAsync(prefix, CancellationToken.None))
        {
            keys.Add(item.Key);
        }

        return keys;
    }

    /// <summary>A pack's key is the SHA-256 of its bytes, so a partial pack under its key cannot pass.</summary>
    private async Task AssertPacksNamedBySha256Async(IEnumerable<string> packs)
    {
        foreach (var key in packs)
        {
            await using var stream = await _store.GetAsync(key, null, CancellationToken.None);
            Assert.Equal(key[(key.LastIndexOf('/') + 1)..], Convert.ToHexStringLower(await SHA256.HashDataAsync(stream)));
        }
    }
}
