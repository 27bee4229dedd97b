using System.Diagnostics;
using System.Net;
using DrOrchestrator.Catalog;
using DrOrchestrator.Server.Api;
using DrOrchestrator.Server.Scheduling;
using DrOrchestrator.Server.Work;
using Microsoft.Extensions.DependencyInjection;

namespace DrOrchestrator.Server.Tests;

/// <summary>SIGTERM: running backups get the grace, are then cancelled cleanly, and run again after the restart.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task A_backup_running_at_shutdown_gets_the_grace_is_cancelled_cleanly_and_is_requeued_by_the_next_start()
    {
        await using var server = await ServerSandbox.StartAsync(settings => ((Dictionary<string, object>)settings["Server"])["ShutdownGraceSeconds"] = 2);
        var source = Path.Combine(server.Root, "big");
        Directory.CreateDirectory(source);
        for (int i = 0; i < 400; i++)
        {
            using var file = File.Create(Path.Combine(source, $"sparse{i:D3}.bin"));
            file.SetLength(32L << 20);
        }

        Assert.Equal(HttpStatusCode.OK, (await server.ApplyAsync(TestPolicies.Yaml("big", source, "0 0 3 * * ?"))).StatusCode);
        var due = DateTimeOffset.UtcNow;
        await using (var scope = server.App.Services.CreateAsyncScope())
        {
            // What the policy's trigger does when it fires.
            Assert.Equal(FireOutcome.Enqueued, await scope.ServiceProvider.GetRequiredService<FireHandler>().HandleAsync("big", RunKind.Backup, due, CancellationToken.None));
        }

        var tracker = server.App.Services.GetRequiredService<RunTracker>();
        var catalog = server.App.Services.GetRequiredService<CatalogStore>();
        var job = await ServerSandbox.WaitForAsync(() => Task.FromResult(tracker.Jobs.Single()), j => j.FilesDone > 0, TimeSpan.FromSeconds(90), "backup running");

        var clock = Stopwatch.StartNew();
        await server.StopAsync();

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(40));
        Assert.Equal("interrupted", job.Phase);
        var fire = Assert.Single(await catalog.ListFiresAsync("big", null, CancellationToken.None));
        Assert.Equal(FireStatus.Interrupted, fire.Status);
        var run = Assert.Single(await catalog.ListRunsAsync("big", 10, CancellationToken.None));
        Assert.Equal((RunStatus.Cancelled, null), (run.Status, run.Figures.SnapshotId));
        Assert.Empty(await catalog.ListSnapshotsAsync("big", CancellationToken.None));

        await server.RestartAsync();

        var requeued = await ServerSandbox.WaitForAsync(
            async () => await ServerSandbox.JsonAsync<List<FireDto>>(await server.Operator().GetAsync("/api/fires?policy=big")),
            fires => fires.Single().Status == "enqueued" && fires.Single().JobId is not null, TimeSpan.FromSeconds(30), "fire re-queued");
        var again = await ServerSandbox.WaitForAsync(
            async () => await ServerSandbox.JsonAsync<JobDto>(await server.Operator().GetAsync($"/api/jobs/{requeued.Single().JobId}")),
            j => j.FilesDone > 0, TimeSpan.FromSeconds(90), "re-queued backup running");
        Assert.Equal(("big", "schedule"), (again.Policy, again.RequestedBy));
        Assert.Equal(due.ToUnixTimeMilliseconds() / 1000, requeued.Single().ScheduledAt.ToUnixTimeMilliseconds() / 1000);
    }
}
