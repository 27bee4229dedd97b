using DrOrchestrator.Core.Check;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Tests.Backup;

public sealed class InterruptedBackupTests
{
    [Fact]
    public async Task Backups_interrupted_at_random_points_leave_no_snapshot_and_a_clean_repository()
    {
        using var dir = new TempDir();
        var source = dir.Sub("src");
        EdgeCaseTree.Create(source);
        var (store, repo) = await TestSupport.NewRepoAsync();
        var baseline = (await TestSupport.BackupAsync(repo, source)).Snapshot;
        var rng = new Random(20261126);
        var interrupted = 0;

        for (var round = 0; round < 16; round++)
        {
            File.WriteAllBytes(Path.Combine(source, $"new-{round}.bin"), TestSupport.RandomBytes(rng.Next(100_000, 900_000), 1000 + round));
            var snapshotsBefore = store.Keys.Count(k => k.StartsWith("snapshots/", StringComparison.Ordinal));
            using var cts = new CancellationTokenSource();
            var limit = store.PutCount + rng.Next(0, 6);
            switch (round % 3)
            {
                case 0:
                    store.FailPutsAfter = limit;
                    break;
                case 1:
                    store.BeforePut = _ =>
                    {
                        if (store.PutCount >= limit)
                        {
                            cts.Cancel();
                        }
                    };
                    break;
                default:
                    cts.CancelAfter(rng.Next(0, 40));
                    break;
            }

            var e = await Record.ExceptionAsync(() => TestSupport.BackupAsync(repo, source, baseline, cts.Token));
            store.FailPutsAfter = null;
            store.BeforePut = null;
            var snapshotsAfter = store.Keys.Count(k => k.StartsWith("snapshots/", StringComparison.Ordinal));
            if (e is null)
            {
                Assert.Equal(snapshotsBefore + 1, snapshotsAfter);
            }
            else
            {
                interrupted++;
                Assert.True(e is OperationCanceledException or ObjectStoreException, $"round {round}: unexpected {e}");
                Assert.Equal(snapshotsBefore, snapshotsAfter);
            }

            // A fresh process opening the store sees a consistent repository.
            repo = await BackupRepository.OpenAsync(store, TestSupport.Key, CancellationToken.None);
            await foreach (var finding in new Checker().CheckAsync(repo, new CheckOptions(ReadData: round % 4 == 0), CancellationToken.None))
            {
                Assert.True(finding.Severity == CheckSeverity.Info, $"round {round}: {finding}");
            }
        }

        Assert.True(interrupted >= 6, $"only {interrupted} of 16 rounds were interrupted");
        var final = await TestSupport.BackupAsync(repo, source, baseline);
        await TestSupport.RestoreAsync(repo, final.Snapshot, dir.Sub("out"));
        Assert.Equal(TestSupport.Describe(source), TestSupport.Describe(dir.Sub("out/src")));
    }

    [Fact]
    public async Task A_long_backup_indexes_as_it_goes_so_an_interrupted_run_is_not_uploaded_again()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("src"));
        var size = 6 * 1024 * 1024;
        File.WriteAllBytes(dir.Sub("src/big.bin"), TestSupport.RandomBytes(size, 31));
        var (store, repo) = await TestSupport.NewRepoAsync(TestSupport.SmallOptions with { PackSize = 4096 }); // one pack per chunk
        var packsAfterIndex = 0;
        store.BeforePut = key =>
        {
            // Let the first periodic index through, then fail every later put.
            if (store.Keys.Any(k => k.StartsWith("index/", StringComparison.Ordinal)) && Interlocked.Increment(ref packsAfterIndex) > 0)
            {
                throw new ObjectStoreException(store.Description, key, "injected failure", isTransient: true);
            }
        };

        await Assert.ThrowsAsync<ObjectStoreException>(() => TestSupport.BackupAsync(repo, dir.Sub("src")));
        store.BeforePut = null;
        Assert.Single(store.Keys, k => k.StartsWith("index/", StringComparison.Ordinal));
        Assert.DoesNotContain(store.Keys, k => k.StartsWith("snapshots/", StringComparison.Ordinal));

        var second = await TestSupport.BackupAsync(repo, dir.Sub("src"));

        Assert.True(second.Snapshot.Summary.BytesNew < size / 2, $"{second.Snapshot.Summary.BytesNew} of {size} bytes uploaded again");
        await TestSupport.RestoreAsync(repo, second.Snapshot, dir.Sub("out"));
        Assert.Equal(TestSupport.Sha256(dir.Sub("src/big.bin")), TestSupport.Sha256(dir.Sub("out/src/big.bin")));
    }

    [Fact]
    public async Task A_cancelled_backup_indexes_every_pack_it_stored_before_it_returns()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("src"));
        var size = 6 * 1024 * 1024;
        File.WriteAllBytes(dir.Sub("src/big.bin"), TestSupport.RandomBytes(size, 32));
        var (store, repo) = await TestSupport.NewRepoAsync(TestSupport.SmallOptions with { PackSize = 4096 }); // one pack per chunk
        using var cts = new CancellationTokenSource();
        var dataPuts = 0;
        store.BeforePut = key =>
        {
            // Far fewer packs than PackPipeline.PacksPerIndex, well within IndexMaxAge: only the abort indexes them.
            if (key.StartsWith("data/", StringComparison.Ordinal) && Interlocked.Increment(ref dataPuts) == 20)
            {
                cts.Cancel();
            }
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TestSupport.BackupAsync(repo, dir.Sub("src"), ct: cts.Token));
        store.BeforePut = null;

        var packs = store.Keys.Where(k => k.StartsWith("data/", StringComparison.Ordinal)).ToList();
        Assert.InRange(packs.Count, 1, 40);
        await using var reopened = await BackupRepository.OpenAsync(store, TestSupport.Key, CancellationToken.None);
        var indexed = reopened.Index.Packs().Select(p => ObjectKeys.Pack(p.Id)).ToHashSet();
        Assert.All(packs, p => Assert.Contains(p, indexed));

        var storedPlain = reopened.Index.Blobs().Where(b => b.Value.Type == BlobType.Data).Sum(b => (long)b.Value.PlainLength);
        Assert.True(storedPlain > 0);

        // Same chunks again (random content: no dedup inside the file): exactly what was not stored is new.
        var second = await TestSupport.BackupAsync(reopened, dir.Sub("src"));
        Assert.Equal(size - storedPlain, second.Snapshot.Summary.BytesNew);
        await TestSupport.RestoreAsync(reopened, second.Snapshot, dir.Sub("out"));
        Assert.Equal(TestSupport.Sha256(dir.Sub("src/big.bin")), TestSupport.Sha256(dir.Sub("out/src/big.bin")));
    }
}
