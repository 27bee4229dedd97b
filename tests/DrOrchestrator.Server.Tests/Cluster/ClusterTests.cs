using System.Text.Json;
using DrOrchestrator.Catalog;

namespace DrOrchestrator.Server.Tests.Cluster;

/// <summary>
/// Two `drorch serve` processes on one real PostgreSQL (catalog, Quartz's clustered store,
/// Hangfire.PostgreSql, advisory-lock claims): every fire runs once, and a node killed with
/// SIGKILL in the middle of a backup has its work run again and its schedule kept by the other.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterTests(PostgresServerFixture postgres)
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task Two_nodes_on_one_PostgreSQL_handle_every_due_instant_once_and_run_each_fire_exactly_once()
    {
        await using var cluster = await ClusterSandbox.CreateAsync(postgres);
        var a = await cluster.StartNodeAsync();
        var b = await cluster.StartNodeAsync();
        var source = cluster.Source("tick", 3, 4096);
        // keepLast 1000: the prune that follows the first backup (§56) must not forget what the test counts.
        await cluster.ApplyAsync(a, TestPolicies.Yaml("tick", source, "0/3 * * * * ?", keepLast: 1000));

        await WaitForAsync(cluster, () => cluster.CatalogAsync(c => c.ListFiresAsync("tick", FireStatus.Done, Ct)), f => f.Count(x => x.Kind == RunKind.Backup) >= 20, TimeSpan.FromSeconds(150), "20 fires done");

        // Park the schedule (live apply through the other node), let the last work finish, then count.
        await cluster.ApplyAsync(b, TestPolicies.Yaml("tick", source, "0 0 0 1 1 ? 2099", keepLast: 1000));
        await Task.Delay(TimeSpan.FromSeconds(3));
        var fires = await WaitForAsync(cluster, () => cluster.CatalogAsync(c => c.ListFiresAsync("tick", null, Ct)), f => f.All(x => x.Status != FireStatus.Enqueued), TimeSpan.FromSeconds(90), "every fire handled");
        await WaitForAsync(cluster, () => cluster.CatalogAsync(c => c.ListRunningRunsAsync(Ct)), r => r.Count == 0, TimeSpan.FromSeconds(60), "no run running");
        // The backup fires; a prune fire (kind prune, due at its backup's instant) follows the first backup.
        Assert.True(fires.Count(f => f.Kind == RunKind.Prune) <= 1, "one prune per day at most");
        fires = [.. fires.Where(f => f.Kind == RunKind.Backup)];
        var runs = (await cluster.CatalogAsync(c => c.ListRunsAsync("tick", 1000, Ct))).Where(r => r.Kind == RunKind.Backup).ToList();
        var snapshots = await cluster.CatalogAsync(c => c.ListSnapshotsAsync("tick", Ct));
        var context = $"fires: {JsonSerializer.Serialize(fires.Select(f => new { f.ScheduledAt, f.Status, f.JobId, f.Detail }))}\n{cluster.Output}";

        // Every due instant from the first to the last fire was claimed once: 3 s apart, none lost, none twice.
        var due = fires.Select(f => f.ScheduledAt).Order().ToList();
        Assert.True(due.Count >= 20, context);
        Assert.All(due.Zip(due.Skip(1)), pair => Assert.True(pair.Second - pair.First == TimeSpan.FromSeconds(3), $"gap {pair.First:o} → {pair.Second:o}\n{context}"));

        // Each fire became one job (none missed, none lost); it either ran a backup or was skipped because one still ran.
        Assert.All(fires, f => Assert.True(f.Status == FireStatus.Done && f.JobId is not null, $"fire due {f.ScheduledAt:o}: {f.Status} {f.Detail}\n{context}"));
        Assert.Equal(fires.Count, fires.Select(f => f.JobId).Distinct().Count());
        var ran = fires.Count(f => f.Detail == "succeeded");
        Assert.Equal(fires.Count, ran + fires.Count(f => f.Detail?.StartsWith("skipped", StringComparison.Ordinal) == true));
        Assert.True(ran >= 1, context); // how many ran depends on how long a backup takes on this machine: the rest overlapped one

        // Exactly one backup run and one snapshot per fire that ran, and the target holds those and no others.
        Assert.Equal(ran, runs.Count);
        Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.Equal(ran, snapshots.Count);
        Assert.Equal(snapshots.Select(s => s.Figures.SnapshotId).ToHashSet(), await cluster.SnapshotIdsOnTargetAsync());
        Assert.False(a.HasExited || b.HasExited, cluster.Output);
    }

    [Fact]
    public async Task Killing_the_node_running_a_backup_makes_the_other_node_run_it_again_and_fire_the_next()
    {
        await using var cluster = await ClusterSandbox.CreateAsync(postgres);
        var a = await cluster.StartNodeAsync();
        await cluster.StartNodeAsync();
        const int Files = 40;
        var source = cluster.Source("victim", Files, 5 << 20); // 200 MiB of new data: seconds of work to interrupt
        await cluster.ApplyAsync(a, TestPolicies.Yaml("victim", source, "0/20 * * * * ?"));

        var running = (await WaitForAsync(
            cluster, () => cluster.CatalogAsync(c => c.ListRunningRunsAsync(Ct)), r => r.Any(x => x.PolicyName == "victim"), TimeSpan.FromSeconds(60), "a backup running")).Single(r => r.PolicyName == "victim");
        var victim = cluster.Nodes.Single(n => n.ProcessId == running.Process?.ProcessId);
        var survivor = cluster.Nodes.Single(n => n != victim);
        var inFlight = (await cluster.CatalogAsync(c => c.ListFiresAsync("victim", FireStatus.Enqueued, Ct))).Select(f => f.Id).ToHashSet();
        await victim.KillAsync();
        var killedAt = DateTimeOffset.UtcNow;

        // The survivor runs the interrupted job again (the queue hands it out once the dead node stops
        // renewing it), closes the dead run, and keeps firing the schedule.
        var fires = await WaitForAsync(
            cluster,
            () => cluster.CatalogAsync(c => c.ListFiresAsync("victim", null, Ct)),
            f => f.Where(x => inFlight.Contains(x.Id)).All(x => x.Status == FireStatus.Done) && f.Any(x => x.ScheduledAt > killedAt && x.Detail == "succeeded"),
            TimeSpan.FromSeconds(150),
            "the interrupted fire re-run and a later fire run");
        await WaitForAsync(cluster, () => cluster.CatalogAsync(c => c.ListRunningRunsAsync(Ct)), r => r.Count == 0, TimeSpan.FromSeconds(60), "no run running");
        var context = $"fires: {JsonSerializer.Serialize(fires.Select(f => new { f.Id, f.ScheduledAt, f.Status, f.JobId, f.Detail }))}\n{cluster.Output}";

        // The fire in flight was still "enqueued" when its node died; only the survivor can have finished
        // it: it ran the job again, which either backed up or found a newer fire's backup already running.
        Assert.NotEmpty(inFlight);
        Assert.All(fires.Where(f => inFlight.Contains(f.Id)), f => Assert.True(
            f.Detail == "succeeded" || f.Detail == "skipped: a backup of this policy was still running", $"in-flight fire {f.Id}: {f.Detail}\n{context}"));
        var killedRun = await cluster.CatalogAsync(c => c.GetRunAsync(running.Id, Ct));
        Assert.Equal(RunStatus.Interrupted, killedRun!.Status);
        var runs = await cluster.CatalogAsync(c => c.ListRunsAsync("victim", 100, Ct));
        Assert.Contains(runs, r => r.Status == RunStatus.Succeeded && r.StartedAt > killedAt && r.Figures.Files == Files);
        Assert.False(survivor.HasExited, context);

        // No partial or unknown snapshot: the target holds exactly the catalog's, each with every file.
        var snapshots = await cluster.CatalogAsync(c => c.ListSnapshotsAsync("victim", Ct));
        Assert.NotEmpty(snapshots);
        Assert.Equal(snapshots.Select(s => s.Figures.SnapshotId).ToHashSet(), await cluster.SnapshotIdsOnTargetAsync());
        Assert.All(snapshots, s => Assert.Equal(Files, s.Figures.FileCount));
    }

    private static Task<T> WaitForAsync<T>(ClusterSandbox cluster, Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string what) =>
        ServerSandbox.WaitForAsync(read, done, timeout, what, () => cluster.Output);
}
