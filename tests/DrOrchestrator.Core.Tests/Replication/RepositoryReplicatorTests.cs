using DrOrchestrator.Core.Check;
using DrOrchestrator.Core.Replication;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Testing;
using static DrOrchestrator.Core.Tests.Replication.ReplicationTestSupport;

namespace DrOrchestrator.Core.Tests.Replication;

public sealed class RepositoryReplicatorTests
{
    [Fact]
    public async Task Replica_of_an_empty_store_restores_every_file_byte_for_byte()
    {
        using var dir = new TempDir();
        var (source, _, snapshot) = await BackedUpSourceAsync(dir, seed: 1, count: 6);
        var packs = source.KeysUnder("data/");
        Assert.True(packs.Count >= 3, $"the test needs several packs, got {packs.Count}");
        var replica = new NamedObjectStore(ReplicaName);
        var progress = new RecordingProgress<ReplicationProgress>();

        var report = await ReplicateAsync(source, replica, progress);

        Assert.Empty(report.Errors);
        Assert.True(report.IsComplete);
        Assert.Equal(packs.Count, report.PacksCopied);
        Assert.Equal(source.KeysUnder("index/").Count, report.IndexesCopied);
        Assert.Equal([snapshot.Id], report.SnapshotsCopied);
        Assert.Empty(report.SnapshotsAlreadyPresent);
        Assert.Empty(report.SnapshotsPending);
        Assert.Equal(TotalSize(source, ""), report.BytesCopied);
        Assert.Equal(source.Inner.Keys, replica.Inner.Keys);
        Assert.All(source.Inner.Keys, k => Assert.Equal(source.Inner[k], replica.Inner[k]));
        Assert.Equal(packs.Count, progress.Reports.Count);
        Assert.Equal(new ReplicationProgress(packs.Count, packs.Count, TotalSize(source, "data/")), progress.Reports[^1]);

        Assert.Equal(FileHashes(dir.Sub("src")), await RestoreFromAsync(replica, snapshot.Id, dir.Sub("out")));
        Assert.Empty(await CheckAsync(replica));
    }

    [Fact]
    public async Task Second_run_copies_nothing()
    {
        using var dir = new TempDir();
        var (source, _, snapshot) = await BackedUpSourceAsync(dir, seed: 2, count: 4);
        var replica = new NamedObjectStore(ReplicaName);
        await ReplicateAsync(source, replica);
        var putsBefore = replica.Inner.PutCount;

        var report = await ReplicateAsync(source, replica);

        Assert.Equal(putsBefore, replica.Inner.PutCount);
        Assert.Equal((0, 0L, 0), (report.PacksCopied, report.BytesCopied, report.IndexesCopied));
        Assert.Empty(report.SnapshotsCopied);
        Assert.Equal([snapshot.Id], report.SnapshotsAlreadyPresent);
        Assert.Empty(report.Errors);
        Assert.True(report.IsComplete);
    }

    [Fact]
    public async Task After_a_new_backup_only_the_new_packs_indexes_and_snapshot_are_copied()
    {
        using var dir = new TempDir();
        var (source, repo, first) = await BackedUpSourceAsync(dir, seed: 3, count: 4);
        var replica = new NamedObjectStore(ReplicaName);
        await ReplicateAsync(source, replica);
        var packsBefore = source.KeysUnder("data/");
        var indexesBefore = source.KeysUnder("index/");
        WriteFiles(dir.Sub("src"), seed: 4, count: 3);
        var second = (await TestSupport.BackupAsync(repo, dir.Sub("src"), first)).Snapshot;
        var newPacks = source.KeysUnder("data/").Except(packsBefore).ToList();
        var newIndexes = source.KeysUnder("index/").Except(indexesBefore).ToList();
        Assert.True(newPacks.Count >= 2, $"the test needs several new packs, got {newPacks.Count}");
        var putsBefore = replica.Inner.PutCount;

        var report = await ReplicateAsync(source, replica);

        Assert.Empty(report.Errors);
        Assert.Equal(newPacks.Count, report.PacksCopied);
        Assert.Equal(newIndexes.Count, report.IndexesCopied);
        Assert.Equal([second.Id], report.SnapshotsCopied);
        Assert.Equal([first.Id], report.SnapshotsAlreadyPresent);
        Assert.Equal(newPacks.Count + newIndexes.Count + 1, replica.Inner.PutCount - putsBefore);
        Assert.Equal(newPacks.Sum(k => (long)source.Inner[k].Length) + newIndexes.Sum(k => (long)source.Inner[k].Length)
            + source.Inner["snapshots/" + second.Id].Length, report.BytesCopied);
        Assert.Equal(FileHashes(dir.Sub("src")), await RestoreFromAsync(replica, second.Id, dir.Sub("out")));
    }

    [Fact]
    public async Task Corrupt_pack_at_the_source_is_reported_not_copied_and_holds_back_the_snapshot_until_repaired()
    {
        using var dir = new TempDir();
        var (source, _, snapshot) = await BackedUpSourceAsync(dir, seed: 5, count: 4);
        var packs = source.KeysUnder("data/");
        var victim = packs[1];
        source.Inner[victim][100] ^= 0x01;
        var replica = new NamedObjectStore(ReplicaName);

        var report = await ReplicateAsync(source, replica);

        var error = Assert.Single(report.Errors);
        Assert.StartsWith($"memory:source: {victim}: SHA-256 mismatch: content ({source.Inner[victim].Length} bytes) hashes to ", error, StringComparison.Ordinal);
        Assert.EndsWith("; not copied", error, StringComparison.Ordinal);
        Assert.False(report.IsComplete);
        Assert.Equal(packs.Count - 1, report.PacksCopied);
        Assert.DoesNotContain(victim, replica.Inner.Keys);
        Assert.Equal(0, report.IndexesCopied);
        Assert.Empty(report.SnapshotsCopied);
        Assert.Equal([snapshot.Id], report.SnapshotsPending);
        Assert.Empty(replica.KeysUnder("index/"));
        Assert.Empty(replica.KeysUnder("snapshots/"));
        Assert.Empty(await RepositoryReplicator.ListSnapshotIdsAsync(replica, CancellationToken.None));
        Assert.DoesNotContain(await CheckAsync(replica), f => f.Severity == CheckSeverity.Error);

        source.Inner[victim][100] ^= 0x01;
        var rerun = await ReplicateAsync(source, replica);

        Assert.True(rerun.IsComplete);
        Assert.Equal(1, rerun.PacksCopied);
        Assert.Equal([snapshot.Id], rerun.SnapshotsCopied);
        Assert.Equal(FileHashes(dir.Sub("src")), await RestoreFromAsync(replica, snapshot.Id, dir.Sub("out")));
    }

    [Fact]
    public async Task A_truncated_leftover_under_a_pack_key_no_index_names_is_skipped_with_the_key_and_holds_nothing_back()
    {
        using var dir = new TempDir();
        var (source, _, snapshot) = await BackedUpSourceAsync(dir, seed: 15, count: 4);
        // A killed upload: the first 2/3 of a pack nobody indexed, under the key its full content hashes to.
        var whole = TestSupport.RandomBytes(90_000, 77);
        var leftover = ObjectKeys.Pack(BlobId.Hash(whole));
        source.Inner[leftover] = whole[..60_000];
        var replica = new NamedObjectStore(ReplicaName);

        // Without the key the replicator cannot know no snapshot needs it: the snapshot is held back.
        var keyless = await ReplicateAsync(source, replica);
        Assert.Equal([snapshot.Id], keyless.SnapshotsPending);
        Assert.Contains(keyless.Errors, e => e.StartsWith($"memory:source: {leftover}: SHA-256 mismatch", StringComparison.Ordinal));

        var report = await new RepositoryReplicator().ReplicateAsync(
            source, replica, new ReplicationOptions { SourceKey = TestSupport.Key }, null, CancellationToken.None);

        Assert.True(report.IsComplete, string.Join("\n", report.Errors));
        Assert.Equal([snapshot.Id], report.SnapshotsCopied);
        var skipped = Assert.Single(report.Skipped);
        Assert.StartsWith($"memory:source: {leftover}: SHA-256 mismatch", skipped, StringComparison.Ordinal);
        Assert.EndsWith("(no index names it: the leftover of an interrupted upload; skipped)", skipped, StringComparison.Ordinal);
        Assert.DoesNotContain(leftover, replica.Inner.Keys);
        Assert.Equal(FileHashes(dir.Sub("src")), await RestoreFromAsync(replica, snapshot.Id, dir.Sub("out")));

        // The check reads the leftover and calls it damaged (a warning: no snapshot uses it), not merely unreferenced.
        var finding = Assert.Single(await CheckAsync(source));
        Assert.Equal((CheckSeverity.Warning, leftover), (finding.Severity, finding.ObjectKey));
        Assert.StartsWith("unreferenced pack is damaged: pack content does not match its id", finding.Message, StringComparison.Ordinal);
        Assert.Contains("the same on a second read): the pack is damaged at rest", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_pack_an_index_names_still_holds_back_the_snapshot_with_the_key()
    {
        using var dir = new TempDir();
        var (source, _, snapshot) = await BackedUpSourceAsync(dir, seed: 16, count: 4);
        var victim = source.KeysUnder("data/")[0];
        source.Inner[victim] = source.Inner[victim][..(source.Inner[victim].Length / 2)];
        var replica = new NamedObjectStore(ReplicaName);

        var report = await new RepositoryReplicator().ReplicateAsync(
            source, replica, new ReplicationOptions { SourceKey = TestSupport.Key }, null, CancellationToken.None);

        Assert.Empty(report.Skipped);
        Assert.StartsWith($"memory:source: {victim}: SHA-256 mismatch", Assert.Single(report.Errors), StringComparison.Ordinal);
        Assert.Equal([snapshot.Id], report.SnapshotsPending);
        Assert.Empty(replica.KeysUnder("snapshots/"));
    }

    [Fact]
    public async Task A_pack_the_replica_fails_to_store_is_reported_and_no_index_or_snapshot_is_written()
    {
        using var dir = new TempDir();
        var (source, _, snapshot) = await BackedUpSourceAsync(dir, seed: 8, count: 4);
        var packs = source.KeysUnder("data/");
        var replicaStore = new NamedObjectStore(ReplicaName);
        var replica = new FaultInjectingObjectStore(replicaStore);
        replica.FailKey(packs[^1], transient: true);

        var report = await ReplicateAsync(source, replica);

        var error = Assert.Single(report.Errors);
        Assert.Matches($"^memory:replica: {packs[^1]}: injected failure of call [0-9]+$", error);
        Assert.Equal(packs.Count - 1, report.PacksCopied);
        Assert.Equal([snapshot.Id], report.SnapshotsPending);
        Assert.Equal(["config"], replicaStore.Inner.Keys.Where(k => !k.StartsWith("data/", StringComparison.Ordinal) && !k.StartsWith("keys/", StringComparison.Ordinal)));

        replica.Reset();
        var rerun = await ReplicateAsync(source, replica);

        Assert.True(rerun.IsComplete);
        Assert.Equal((1, 1), (rerun.PacksCopied, rerun.IndexesCopied));
        Assert.Equal([snapshot.Id], rerun.SnapshotsCopied);
        Assert.Empty(await CheckAsync(replicaStore));
    }

    [Fact]
    public async Task A_pack_of_the_wrong_size_on_the_replica_is_copied_again()
    {
        using var dir = new TempDir();
        var (source, _, _) = await BackedUpSourceAsync(dir, seed: 6, count: 4);
        var replica = new NamedObjectStore(ReplicaName);
        await ReplicateAsync(source, replica);
        var pack = replica.KeysUnder("data/")[0];
        replica.Inner[pack] = replica.Inner[pack][..(replica.Inner[pack].Length / 2)]; // a pack of trees only can be under 1 KB

        var report = await ReplicateAsync(source, replica);

        Assert.Equal((1, (long)source.Inner[pack].Length, 0), (report.PacksCopied, report.BytesCopied, report.IndexesCopied));
        Assert.Equal(source.Inner[pack], replica.Inner[pack]);
        Assert.Empty(await CheckAsync(replica));
    }

    [Fact]
    public async Task A_replica_holding_another_repository_is_refused_without_writing()
    {
        var (source, _) = await NewSourceAsync();
        var replica = new NamedObjectStore(ReplicaName);
        await BackupRepository.InitAsync(replica, TestSupport.Key, TestSupport.SmallOptions, CancellationToken.None);
        var keysBefore = replica.Inner.Keys;
        var putsBefore = replica.Inner.PutCount;

        var e = await Assert.ThrowsAsync<ReplicationException>(() => ReplicateAsync(source, replica));

        Assert.Equal("memory:replica: holds a different repository (config differs from memory:source); refusing to mix repositories", e.Message);
        Assert.Equal(putsBefore, replica.Inner.PutCount);
        Assert.Equal(keysBefore, replica.Inner.Keys);
    }

    [Fact]
    public async Task A_source_without_a_repository_is_refused()
    {
        var e = await Assert.ThrowsAsync<ReplicationException>(
            () => ReplicateAsync(new NamedObjectStore(SourceName), new NamedObjectStore(ReplicaName)));

        Assert.Equal("memory:source: holds no repository (no config object); nothing to replicate", e.Message);
    }

    [Fact]
    public async Task Invalid_concurrency_is_refused_naming_the_option()
    {
        var (source, _) = await NewSourceAsync();

        var e = await Assert.ThrowsAsync<ArgumentException>(() => new RepositoryReplicator().ReplicateAsync(
            source, new NamedObjectStore(ReplicaName), new ReplicationOptions { MaxConcurrency = 0 }, null, CancellationToken.None));

        Assert.Equal("replication option MaxConcurrency=0 must be 1..64", e.Message);
    }

    [Fact]
    public async Task Snapshot_ids_are_listed_sorted_without_a_key()
    {
        using var dir = new TempDir();
        WriteFiles(dir.Sub("src"), seed: 7, count: 1);
        var (source, repo) = await NewSourceAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await TestSupport.BackupAsync(repo, dir.Sub("src"))).Snapshot.Id);
        }

        var listed = await RepositoryReplicator.ListSnapshotIdsAsync(source, CancellationToken.None);

        Assert.Equal(ids.Order(StringComparer.Ordinal), listed);
        Assert.Empty(await RepositoryReplicator.ListSnapshotIdsAsync(new NamedObjectStore(ReplicaName), CancellationToken.None));
    }
}
