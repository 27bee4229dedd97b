using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Core.Tests.Repository;

public sealed class RepositoryTests
{
    [Fact]
    public async Task Init_then_open_gives_the_same_config()
    {
        var (store, repo) = await TestSupport.NewRepoAsync();
        Assert.True(await BackupRepository.ExistsAsync(store, CancellationToken.None));

        var opened = await BackupRepository.OpenAsync(store, TestSupport.Key, CancellationToken.None);

        Assert.Equal(repo.Config, opened.Config);
        Assert.Equal(64 * 1024, opened.Config.Chunker.AverageSize);
        Assert.Equal(["config", $"keys/{store.Keys.Single(k => k.StartsWith("keys/", StringComparison.Ordinal))[5..]}"], store.Keys);
        Assert.DoesNotContain("\"chunker\"", System.Text.Encoding.UTF8.GetString(store["config"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_twice_fails()
    {
        var (store, _) = await TestSupport.NewRepoAsync();
        var e = await Assert.ThrowsAsync<RepositoryAlreadyExistsException>(() =>
            BackupRepository.InitAsync(store, TestSupport.Key, TestSupport.SmallOptions, CancellationToken.None));
        Assert.Equal("a repository already exists at memory:test", e.Message);
    }

    [Fact]
    public async Task Wrong_key_fails_with_one_clear_line_and_writes_nothing()
    {
        var (store, repo) = await TestSupport.NewRepoAsync();
        using var source = new TempDir();
        File.WriteAllText(source.Sub("a.txt"), "hello");
        await TestSupport.BackupAsync(repo, source.Path);
        var before = store.Keys.ToList();
        var beforeBytes = before.Select(k => Convert.ToHexString(store[k])).ToList();

        var e = await Assert.ThrowsAsync<WrongRepositoryKeyException>(() =>
            BackupRepository.OpenAsync(store, RepositoryKey.FromPassphrase("not it"), CancellationToken.None));

        Assert.Equal("wrong repository key for memory:test: no key in keys/ opens with it", e.Message);
        Assert.Equal(before, store.Keys);
        Assert.Equal(beforeBytes, store.Keys.Select(k => Convert.ToHexString(store[k])));
    }

    [Fact]
    public async Task A_stray_key_file_of_an_init_that_stopped_before_its_config_does_not_lock_the_repository_out()
    {
        // An init that stopped between its key file and its config (or a second init of the same
        // fresh target at once) leaves a key file that opens with the passphrase but whose master
        // did not seal the config. It is listed first here, so the open meets it before the real one.
        var (store, repo) = await TestSupport.NewRepoAsync();
        using var source = new TempDir();
        File.WriteAllText(source.Sub("a.txt"), "hello");
        var snapshot = (await TestSupport.BackupAsync(repo, source.Path)).Snapshot;
        var realKey = store.Keys.Single(k => k.StartsWith("keys/", StringComparison.Ordinal));
        for (int attempt = 0; await FirstKeyFileAsync(store) == realKey; attempt++)
        {
            Assert.True(attempt < 200, "no stray key file was ever listed before the real one");
            var stray = KeyFile.Create(TestSupport.Key, MasterKey.Generate(), 1000).Serialize();
            store[$"keys/{BlobId.Hash(stray)}"] = stray;
        }

        var opened = await BackupRepository.OpenAsync(store, TestSupport.Key, CancellationToken.None);

        Assert.Equal(repo.Config, opened.Config);
        Assert.Equal([snapshot.Id], (await opened.ListSnapshotsAsync(CancellationToken.None)).Select(s => s.Id));
    }

    private static async Task<string> FirstKeyFileAsync(InMemoryObjectStore store)
    {
        await foreach (var info in store.ListAsync("keys/", CancellationToken.None))
        {
            return info.Key;
        }

        throw new InvalidOperationException("no key file");
    }

    [Fact]
    public async Task Open_downloads_the_indexes_while_it_derives_the_key()
    {
        var (store, repo) = await TestSupport.NewRepoAsync();
        using var source = new TempDir();
        File.WriteAllText(source.Sub("a.txt"), "hello");
        var snapshot = (await TestSupport.BackupAsync(repo, source.Path)).Snapshot;
        var indexRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The key file is served only once an index has been asked for: an open that read the
        // key (and ran the slow key derivation) before touching the indexes would time out here.
        store.BeforeGet = async (key, ct) =>
        {
            if (key.StartsWith(ObjectKeys.IndexPrefix, StringComparison.Ordinal))
            {
                indexRequested.TrySetResult();
            }
            else if (key.StartsWith(ObjectKeys.KeysPrefix, StringComparison.Ordinal))
            {
                await indexRequested.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            }
        };

        var opened = await BackupRepository.OpenAsync(store, TestSupport.Key, CancellationToken.None);

        Assert.Empty(opened.IndexErrors);
        Assert.Equal(repo.Index.BlobCount, opened.Index.BlobCount);
        Assert.Equal(snapshot.Id, (await opened.ListSnapshotsAsync(CancellationToken.None)).Single().Id);
    }

    [Fact]
    public async Task Open_of_an_empty_store_says_there_is_no_repository()
    {
        var e = await Assert.ThrowsAsync<RepositoryNotFoundException>(() =>
            BackupRepository.OpenAsync(new InMemoryObjectStore(), TestSupport.Key, CancellationToken.None));
        Assert.Equal("no repository at memory:test: it has no config object (run init first)", e.Message);
        Assert.False(await BackupRepository.ExistsAsync(new InMemoryObjectStore(), CancellationToken.None));
    }

    [Fact]
    public async Task Invalid_options_name_the_field_and_value()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => BackupRepository.InitAsync(
            new InMemoryObjectStore(), TestSupport.Key, TestSupport.SmallOptions with { ChunkAverageSize = 100_000 }, CancellationToken.None));
        Assert.Equal("repository option ChunkAverageSize=100000 must be a power of two above ChunkMinSize", e.Message);
    }

    [Fact]
    public async Task Snapshots_are_listed_by_time_and_found_by_unique_prefix()
    {
        var (_, repo) = await TestSupport.NewRepoAsync();
        using var source = new TempDir();
        File.WriteAllText(source.Sub("a.txt"), "hello");
        var first = (await TestSupport.BackupAsync(repo, source.Path)).Snapshot;
        var second = (await TestSupport.BackupAsync(repo, source.Path, first)).Snapshot;

        var list = await repo.ListSnapshotsAsync(CancellationToken.None);

        Assert.Equal([first.Id, second.Id], list.Select(s => s.Id));
        var found = await repo.FindSnapshotAsync(second.Id[..10], CancellationToken.None);
        Assert.Equal((second.Id, second.TreeId, second.Time, second.Summary), (found.Id, found.TreeId, found.Time, found.Summary));
        Assert.Equal(first.Id, found.ParentId);
        Assert.Equal("test", found.Tags["env"]);
        Assert.Equal(first.Id, (await repo.FindSnapshotAsync(first.Id.ToUpperInvariant(), CancellationToken.None)).Id);
        var none = await Assert.ThrowsAsync<SnapshotNotFoundException>(() => repo.FindSnapshotAsync("zzzz", CancellationToken.None));
        Assert.Equal("no snapshot with id zzzz in memory:test", none.Message);
    }
}
