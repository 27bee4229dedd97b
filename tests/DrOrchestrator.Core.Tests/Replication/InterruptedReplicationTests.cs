using DrOrchestrator.Core.Check;
using DrOrchestrator.Core.Replication;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;
using static DrOrchestrator.Core.Tests.Replication.ReplicationTestSupport;

namespace DrOrchestrator.Core.Tests.Replication;

public sealed class InterruptedReplicationTests
{
    /// <summary>
    /// Stops a replication at every put it makes (by cancelling, or by the destination failing from
    /// then on), from an empty replica and from one holding the older snapshot. After each stop the
    /// replica may lack snapshots but never holds one with missing data; a rerun completes it.
    /// </summary>
    [Fact]
    public async Task Replication_stopped_at_any_put_never_exposes_an_incomplete_snapshot_and_a_rerun_completes()
    {
        using var dir = new TempDir();
        WriteFiles(dir.Sub("src"), seed: 11, count: 3);
        var (source, repo) = await NewSourceAsync();
        var first = (await TestSupport.BackupAsync(repo, dir.Sub("src"))).Snapshot;
        var seeded = new NamedObjectStore(ReplicaName);
        await ReplicateAsync(source, seeded);
        WriteFiles(dir.Sub("src"), seed: 12, count: 2);
        await TestSupport.BackupAsync(repo, dir.Sub("src"), first);
        var allIds = await RepositoryReplicator.ListSnapshotIdsAsync(source, CancellationToken.None);
        var stops = 0;

        foreach (var template in (NamedObjectStore[])[new NamedObjectStore(ReplicaName), seeded])
        {
            var fullRun = template.Clone(ReplicaName);
            await ReplicateAsync(source, fullRun);
            var puts = fullRun.Inner.PutCount;
            Assert.True(puts >= 4, $"the test needs several puts, got {puts}");
            for (var limit = 0; limit < puts; limit++)
            {
                foreach (var cancel in (bool[])[true, false])
                {
                    var replica = template.Clone(ReplicaName);
                    var before = await RepositoryReplicator.ListSnapshotIdsAsync(replica, CancellationToken.None);
                    var failure = await StopAtPutAsync(source, replica, limit, cancel);
                    stops += failure is null ? 0 : 1;

                    await AssertConsistentAsync(replica, before, $"limit {limit}, cancel {cancel}, seeded {template == seeded}: {failure}");
                    var rerun = await ReplicateAsync(source, replica);
                    Assert.True(rerun.IsComplete, string.Join("; ", rerun.Errors));
                    Assert.Equal(allIds, await RepositoryReplicator.ListSnapshotIdsAsync(replica, CancellationToken.None));
                }
            }
        }

        Assert.True(stops > 10, $"only {stops} runs were interrupted");
        var final = new NamedObjectStore(ReplicaName);
        await ReplicateAsync(source, final);
        Assert.Empty(await CheckAsync(final));
        Assert.Equal(FileHashes(dir.Sub("src")), await RestoreFromAsync(final, allIds.Except([first.Id]).Single(), dir.Sub("out")));
    }

    /// <summary>Runs one replication that stops at put number <paramref name="limit"/>+1; returns how it ended (null: it did not notice).</summary>
    private static async Task<string?> StopAtPutAsync(IObjectStore source, NamedObjectStore replica, int limit, bool cancel)
    {
        using var cts = new CancellationTokenSource();
        if (cancel)
        {
            replica.Inner.BeforePut = _ =>
            {
                if (replica.Inner.PutCount >= limit)
                {
                    cts.Cancel();
                }
            };
        }
        else
        {
            replica.Inner.FailPutsAfter = limit;
        }

        try
        {
            var report = await ReplicateAsync(source, replica, ct: cts.Token);
            Assert.False(cancel, "a cancelled run must throw");
            return report.Errors.Count == 0 ? null : $"{report.Errors.Count} error(s), pending {report.SnapshotsPending.Count}";
        }
        catch (OperationCanceledException) when (cancel)
        {
            return "cancelled";
        }
        catch (ReplicationException e) when (!cancel)
        {
            Assert.StartsWith("memory:replica: cannot create the replica repository: memory:test: ", e.Message, StringComparison.Ordinal);
            return e.Message;
        }
        finally
        {
            replica.Inner.BeforePut = null;
            replica.Inner.FailPutsAfter = null;
        }
    }

    /// <summary>The replica holds every snapshot it held before, and any snapshot it holds checks clean.</summary>
    private static async Task AssertConsistentAsync(NamedObjectStore replica, IReadOnlyList<string> before, string context)
    {
        var now = await RepositoryReplicator.ListSnapshotIdsAsync(replica, CancellationToken.None);
        Assert.True(before.All(now.Contains), context);
        if (!await BackupRepository.ExistsAsync(replica, CancellationToken.None))
        {
            Assert.Empty(now);
            return;
        }

        var errors = (await CheckAsync(replica)).Where(f => f.Severity == CheckSeverity.Error).Select(f => f.ToString()).ToList();
        Assert.True(errors.Count == 0, $"{context}: {string.Join("; ", errors)}");
    }
}
