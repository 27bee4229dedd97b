using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Composite;
using DrOrchestrator.Core.Storage.Decorators;
using DrOrchestrator.Storage.Local;
using DrOrchestrator.Storage.Tests.Conformance;
using DrOrchestrator.Storage.Tests.Decorators;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Storage.Tests.Local;

/// <summary>File staging of the local store (<see cref="IStagedObjectStore"/>): commit, discard, visibility.</summary>
public sealed class LocalObjectStageTests : IDisposable
{
    private readonly TempDirectory _directory = new("local-stage");
    private readonly LocalObjectStore _store;

    public LocalObjectStageTests() => _store = LocalObjectStore.Create(new LocalTargetOptions { Path = _directory.Path });

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_commit_makes_the_staged_bytes_visible_under_the_key_byte_for_byte()
    {
        string expected;
        using (var stage = _store.BeginStage())
        {
            expected = await FillAsync(stage, 3 * Content.MiB + 17, seed: 5);
            await stage.CommitAsync("data/ab/pack", CancellationToken.None);
        }

        Assert.Equal(expected, await _store.GetSha256Async("data/ab/pack"));
        Assert.Equal(3 * Content.MiB + 17, (await _store.StatAsync("data/ab/pack", CancellationToken.None))!.Size);
        Assert.Equal(["data/ab/pack"], (await _store.ListAllAsync("")).Select(i => i.Key));
        Assert.Equal([Path.Combine(_directory.Path, "data", "ab", "pack")], AllFiles());
    }

    [Fact]
    public async Task The_first_stage_sweeps_staging_files_a_killed_process_left_a_day_ago_and_only_those()
    {
        await _store.PutPatternAsync("config", 100, seed: 1);
        var abandoned = Path.Combine(_directory.Path, LocalObjectStore.TempFilePrefix + "0123456789abcdef");
        var recent = Path.Combine(_directory.Path, LocalObjectStore.TempFilePrefix + "fedcba9876543210");
        var lookalike = Path.Combine(_directory.Path, "data", LocalObjectStore.TempFilePrefix + "0000000000000000");
        foreach (var path in (string[])[abandoned, recent, lookalike])
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, new byte[1000]);
        }

        var old = DateTime.UtcNow - LocalObjectStore.AbandonedStageAge - TimeSpan.FromMinutes(5);
        File.SetLastWriteTimeUtc(abandoned, old);
        File.SetLastWriteTimeUtc(lookalike, old);
        File.SetLastWriteTimeUtc(recent, DateTime.UtcNow - LocalObjectStore.AbandonedStageAge + TimeSpan.FromHours(1));

        using (_store.BeginStage())
        {
        }

        Assert.False(File.Exists(abandoned));
        Assert.True(File.Exists(recent), "a staging file younger than a day may belong to a running backup");
        Assert.True(File.Exists(lookalike), "only the root, where the packer stages, is swept");
        Assert.Equal(["config"], (await _store.ListAllAsync("")).Select(i => i.Key));

        // Once per store: a later stage does not sweep again.
        File.WriteAllBytes(abandoned, new byte[10]);
        File.SetLastWriteTimeUtc(abandoned, old);
        using (_store.BeginStage())
        {
        }

        Assert.True(File.Exists(abandoned));
    }

    [Fact]
    public async Task A_staging_file_is_never_listed_and_a_discarded_stage_leaves_nothing()
    {
        await _store.PutPatternAsync("config", 100, seed: 1);
        using (var stage = _store.BeginStage())
        {
            await FillAsync(stage, 200_000, seed: 2);
            await stage.Content.FlushAsync();

            var staged = Assert.Single(AllFiles(), f => f != Path.Combine(_directory.Path, "config"));
            Assert.StartsWith(LocalObjectStore.TempFilePrefix, Path.GetFileName(staged), StringComparison.Ordinal);
            Assert.Equal(200_000, new FileInfo(staged).Length);
            Assert.Equal(["config"], (await _store.ListAllAsync("")).Select(i => i.Key));
            Assert.Empty(await _store.ListAllAsync(".tmp"));
        }

        Assert.Equal([Path.Combine(_directory.Path, "config")], AllFiles());
        Assert.Equal(["config"], (await _store.ListAllAsync("")).Select(i => i.Key));
    }

    [Fact]
    public async Task A_commit_over_an_existing_key_replaces_it_whole_and_open_readers_keep_the_old_bytes()
    {
        var first = await _store.PutPatternAsync("data/cd/pack", 500_000, seed: 1);
        await using var reader = await _store.GetAsync("data/cd/pack", null, CancellationToken.None);
        using var stage = _store.BeginStage();
        var second = await FillAsync(stage, 700_000, seed: 2);

        Assert.Equal(first, await _store.GetSha256Async("data/cd/pack"));
        await stage.CommitAsync("data/cd/pack", CancellationToken.None);

        Assert.Equal(second, await _store.GetSha256Async("data/cd/pack"));
        Assert.Equal(first, await Content.Sha256Async(reader));
        Assert.Equal([Path.Combine(_directory.Path, "data", "cd", "pack")], AllFiles());
    }

    [Fact]
    public async Task A_cancelled_commit_deletes_the_staging_file_and_leaves_the_key_as_it_was()
    {
        var first = await _store.PutPatternAsync("k", 1000, seed: 1);
        using var stage = _store.BeginStage();
        await FillAsync(stage, 2000, seed: 2);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stage.CommitAsync("k", new CancellationToken(canceled: true)));

        Assert.Equal(first, await _store.GetSha256Async("k"));
        Assert.Equal([Path.Combine(_directory.Path, "k")], AllFiles());
        Assert.Throws<ObjectDisposedException>(() => stage.Content);
    }

    [Fact]
    public async Task A_failed_commit_is_a_typed_permanent_error_naming_the_key_and_deletes_the_staging_file()
    {
        await _store.PutPatternAsync("a/b", 10, seed: 1);
        using var stage = _store.BeginStage();
        await FillAsync(stage, 10, seed: 2);

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => stage.CommitAsync("a", CancellationToken.None));

        Assert.False(ex.IsTransient, ex.ToString());
        Assert.StartsWith(_store.Description + ": a: ", ex.Message, StringComparison.Ordinal);
        Assert.Equal([Path.Combine(_directory.Path, "a", "b")], AllFiles());
    }

    [Fact]
    public void Staging_is_found_through_the_retry_decorator_and_hidden_by_every_other_wrapper()
    {
        var retrying = new RetryingObjectStore(_store, new RetryOptions(), new CapturingLogger());
        var other = LocalObjectStore.Create(new LocalTargetOptions { Path = Path.Combine(_directory.Path, "other") });

        Assert.Same(_store, ObjectStaging.Find(_store));
        Assert.Same(_store, ObjectStaging.Find(retrying));
        Assert.Null(ObjectStaging.Find(new ReadOnlyObjectStore(_store)));
        Assert.Null(ObjectStaging.Find(new FaultInjectingObjectStore(_store)));
        Assert.Null(ObjectStaging.Find(new RetryingObjectStore(new ReadOnlyObjectStore(_store), new RetryOptions(), new CapturingLogger())));
        Assert.Null(ObjectStaging.Find(new MirrorObjectStore([retrying, other], minimumSuccessful: 2)));
    }

    private static async Task<string> FillAsync(IObjectStage stage, long length, ulong seed)
    {
        await using var pattern = new PatternStream(length, seed);
        await pattern.CopyToAsync(stage.Content);
        return Content.ExpectedSha256(length, seed);
    }

    private string[] AllFiles() => [.. Directory.GetFiles(_directory.Path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];
}
