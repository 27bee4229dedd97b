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
}
