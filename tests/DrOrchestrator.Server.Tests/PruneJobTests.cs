using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Orchestration.Targets;
using DrOrchestrator.Server.Api;
using DrOrchestrator.Server.Scheduling;
using DrOrchestrator.Server.Work;
using Microsoft.Extensions.DependencyInjection;

namespace DrOrchestrator.Server.Tests;

/// <summary>
/// Prune in the service, over the running host: a scheduled backup that succeeded is followed by
/// a prune job (the Orchestration prune `drorch prune` runs), keyed by the backup's fire, recorded
/// as a fire and as runs; the interval and the switch hold.
/// </summary>
public sealed class PruneJobTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Every_scheduled_backup_is_followed_by_one_prune_keyed_by_its_fire_that_applies_retention_and_leaves_the_newest_restorable()
    {
        await using var server = await ServerSandbox.StartAsync(settings =>
        {
            ((Dictionary<string, object>)settings["Server"])["PruneIntervalMinutes"] = 0;
            settings["Prune"] = new Dictionary<string, string> { ["GracePeriod"] = "00:00:00" };
        });
        var source = server.Source("web", 4);
        Assert.Equal(HttpStatusCode.OK, (await server.ApplyAsync(TestPolicies.Yaml("web", source, "0 0 3 * * ?", keepLast: 2))).StatusCode);
        var start = DateTimeOffset.UtcNow.AddSeconds(-30);
        var dues = new List<DateTimeOffset>();
        for (int round = 0; round < 4; round++)
        {
            // Each round changes the data, so forgotten snapshots leave packs nothing else uses.
            File.Delete(Path.Combine(source, $"round{round - 1}.bin"));
            File.WriteAllBytes(Path.Combine(source, $"round{round}.bin"), RandomNumberGenerator.GetBytes(300_000));
            var due = start.AddSeconds(round);
            dues.Add(due);
            await using (var scope = server.App.Services.CreateAsyncScope())
            {
                // What the policy's trigger does when it fires.
                Assert.Equal(FireOutcome.Enqueued, await scope.ServiceProvider.GetRequiredService<FireHandler>().HandleAsync("web", RunKind.Backup, due, CancellationToken.None));
            }

            await ServerSandbox.WaitForAsync(
                () => FiresAsync(server), fires => fires.Any(f => f.Kind == "prune" && Same(f.ScheduledAt, due) && f.Status == "done"), Timeout, $"prune after backup {round}");
        }

        var all = await FiresAsync(server);
        Assert.Equal(8, all.Count);
        Assert.All(all, f => Assert.Equal("done", f.Status));
        foreach (var kind in new[] { "backup", "prune" })
        {
            // One prune per backup fire, due at the very instant of its backup: the idempotency key.
            Assert.Equal(dues.Select(d => d.ToUnixTimeSeconds()), all.Where(f => f.Kind == kind).Select(f => f.ScheduledAt.ToUnixTimeSeconds()).Order());
        }

        var runs = await ServerSandbox.JsonAsync<List<RunDto>>(await server.Operator().GetAsync("/api/runs?policy=web"));
        var prunes = runs.Where(r => r.Kind == "prune").ToList();
        Assert.Equal(4, prunes.Count);
        Assert.All(prunes, r => Assert.Equal(("succeeded", "local", (string?)null), (r.Status, r.Target, r.Error)));
        var newestTwo = runs.Where(r => r.Kind == "backup").OrderByDescending(r => r.Id).Take(2).Select(r => r.SnapshotId!).Order().ToList();
        await using (var scope = server.App.Services.CreateAsyncScope())
        {
            var catalog = scope.ServiceProvider.GetRequiredService<CatalogStore>();
            Assert.Equal(newestTwo, (await catalog.ListSnapshotsAsync("web", CancellationToken.None)).Select(s => s.Figures.SnapshotId).Order());
            await using var repository = await scope.ServiceProvider.GetRequiredService<RepositoryAccess>().OpenAsync("local", CancellationToken.None);
            // The orchestrator's own records (docs/decisions.md §58) follow their own retention.
            Assert.Equal(newestTwo, (await repository.ListSnapshotsAsync(CancellationToken.None)).Where(s => !SystemRecords.IsRecord(s)).Select(s => s.Id).Order());

            // A backup job that runs again (retry, a node that died after the backup) queues no second prune.
            var lastBackup = all.Single(f => f.Kind == "backup" && Same(f.ScheduledAt, dues[^1]));
            Assert.Null(await scope.ServiceProvider.GetRequiredService<PruneFollowUp>().AfterBackupAsync("web", lastBackup.Id, CancellationToken.None));
        }

        Assert.Equal(8, (await FiresAsync(server)).Count);

        // What prune kept restores byte for byte.
        var restore = await ServerSandbox.JsonAsync<JobDto>(await server.Operator().PostAsJsonAsync("/api/policies/web/restore", new RestoreRequestDto("after-prune")));
        var restored = await ServerSandbox.WaitForAsync(
            async () => await ServerSandbox.JsonAsync<JobDto>(await server.Operator().GetAsync($"/api/jobs/{restore.JobId}")), j => j.FinishedAt is not null, Timeout, "restore");
        Assert.Equal("succeeded", restored.Phase);
        Assert.Equal(Hashes(source), Hashes(Path.Combine(server.Root, "restores", "after-prune", "web")));
    }

    [Fact]
    public async Task A_backup_within_the_prune_interval_queues_no_prune_and_the_switch_turns_prune_off()
    {
        await using (var server = await ServerSandbox.StartAsync(settings => ((Dictionary<string, object>)settings["Server"])["PruneIntervalMinutes"] = 60))
        {
            var dues = await TwoBackupsAsync(server);
            var prunes = (await FiresAsync(server)).Where(f => f.Kind == "prune").ToList();
            Assert.True(Same(Assert.Single(prunes).ScheduledAt, dues[0]), "the first backup's prune only");
        }

        await using (var server = await ServerSandbox.StartAsync(settings => ((Dictionary<string, object>)settings["Server"])["PruneAfterBackup"] = false))
        {
            await TwoBackupsAsync(server);
            Assert.DoesNotContain(await FiresAsync(server), f => f.Kind == "prune");
            var runs = await ServerSandbox.JsonAsync<List<RunDto>>(await server.Operator().GetAsync("/api/runs?policy=web"));
            Assert.DoesNotContain(runs, r => r.Kind == "prune");
        }
    }

    [Fact]
    public async Task An_admin_prunes_on_request_and_an_operator_may_not()
    {
        await using var server = await ServerSandbox.StartAsync(settings => ((Dictionary<string, object>)settings["Server"])["PruneAfterBackup"] = false);
        var source = server.Source("web", 2);
        Assert.Equal(HttpStatusCode.OK, (await server.ApplyAsync(TestPolicies.Yaml("web", source, "0 0 3 * * ?", keepLast: 1))).StatusCode);
        for (int i = 0; i < 2; i++)
        {
            File.WriteAllText(Path.Combine(source, "changing.txt"), $"version {i}");
            var backup = await ServerSandbox.JsonAsync<JobDto>(await server.Operator().PostAsync("/api/policies/web/backup", null));
            await WaitForJobAsync(server, backup.JobId, "succeeded");
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await server.Operator().PostAsync("/api/policies/web/prune", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Admin().PostAsync("/api/policies/nothing/prune", null)).StatusCode);
        var prune = await ServerSandbox.JsonAsync<JobDto>(await server.Admin().PostAsync("/api/policies/web/prune", null));
        Assert.Equal(("prune", "alice"), (prune.Kind, prune.RequestedBy));
        var done = await WaitForJobAsync(server, prune.JobId, "succeeded");
        Assert.Contains("local: 1 snapshots forgotten", done.Message, StringComparison.Ordinal);
        var snapshots = await ServerSandbox.JsonAsync<List<System.Text.Json.JsonElement>>(await server.Operator().GetAsync("/api/snapshots?policy=web"));
        Assert.Single(snapshots);
    }

    private static async Task<List<DateTimeOffset>> TwoBackupsAsync(ServerSandbox server)
    {
        var source = server.Source("web", 2);
        Assert.Equal(HttpStatusCode.OK, (await server.ApplyAsync(TestPolicies.Yaml("web", source, "0 0 3 * * ?", keepLast: 1))).StatusCode);
        var start = DateTimeOffset.UtcNow.AddSeconds(-30);
        var dues = new List<DateTimeOffset> { start, start.AddSeconds(5) };
        foreach (var due in dues)
        {
            await using (var scope = server.App.Services.CreateAsyncScope())
            {
                Assert.Equal(FireOutcome.Enqueued, await scope.ServiceProvider.GetRequiredService<FireHandler>().HandleAsync("web", RunKind.Backup, due, CancellationToken.None));
            }

            // The prune is claimed inside the backup job, before its fire is done.
            await ServerSandbox.WaitForAsync(() => FiresAsync(server), fires => fires.Any(f => f.Kind == "backup" && Same(f.ScheduledAt, due) && f.Status == "done"), Timeout, "backup fire done");
        }

        var runs = await ServerSandbox.JsonAsync<List<RunDto>>(await server.Operator().GetAsync("/api/runs?policy=web"));
        Assert.Equal(2, runs.Count(r => r.Kind == "backup" && r.Status == "succeeded"));
        return dues;
    }

    private static async Task<JobDto> WaitForJobAsync(ServerSandbox server, string jobId, string phase)
    {
        var job = await ServerSandbox.WaitForAsync(
            async () => await ServerSandbox.JsonAsync<JobDto>(await server.Operator().GetAsync($"/api/jobs/{jobId}")), j => j.FinishedAt is not null, Timeout, $"job {jobId}");
        Assert.True(job.Phase == phase, $"job {jobId}: {job.Phase}: {job.Message}");
        return job;
    }

    private static async Task<List<FireDto>> FiresAsync(ServerSandbox server) =>
        await ServerSandbox.JsonAsync<List<FireDto>>(await server.Operator().GetAsync("/api/fires?policy=web"));

    private static bool Same(DateTimeOffset a, DateTimeOffset b) => a.ToUnixTimeSeconds() == b.ToUnixTimeSeconds();

    private static SortedDictionary<string, string> Hashes(string root) => new(
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))),
        StringComparer.Ordinal);
}
