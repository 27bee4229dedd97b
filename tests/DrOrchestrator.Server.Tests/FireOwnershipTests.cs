using System.Collections.Concurrent;
using System.Net;
using DrOrchestrator.Catalog;
using DrOrchestrator.Server.Api;
using DrOrchestrator.Server.Scheduling;
using DrOrchestrator.Server.Work;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Server.Tests;

/// <summary>
/// A job of a scheduled fire makes the fire its own before it runs (decisions §78), over the
/// running host: a job whose fire belongs to another job runs no backup, and the ordinary
/// scheduled path still runs once, also when a late second job of the same fire comes after.
/// </summary>
public sealed class FireOwnershipTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task A_job_whose_fire_belongs_to_another_job_runs_nothing_and_the_scheduled_path_still_runs_once()
    {
        var events = new OwnershipLog();
        await using var server = await ServerSandbox.StartAsync(settings =>
        {
            ((Dictionary<string, object>)settings["Server"])["PruneAfterBackup"] = false;
            ((Dictionary<string, string>)((Dictionary<string, object>)settings["Logging"])["LogLevel"])["DrOrchestrator.Server"] = "Information";
        });
        server.App.Services.GetRequiredService<ILoggerFactory>().AddProvider(events);
        var source = server.Source("web", 3);
        Assert.Equal(HttpStatusCode.OK, (await server.ApplyAsync(TestPolicies.Yaml("web", source, "0 0 3 * * ?"))).StatusCode);
        var catalog = server.App.Services.GetRequiredService<CatalogStore>();
        var queue = server.App.Services.GetRequiredService<IWorkQueue>();
        var due = DateTimeOffset.UtcNow.AddSeconds(-30);

        // The watchdog's re-queued job already owns the fire when the original job starts late.
        var fire = (await catalog.TryClaimFireAsync("web", RunKind.Backup, due, FireStatus.Enqueued, null, Ct))!.Value;
        Assert.True(await catalog.TryOwnFireAsync(fire, "the-watchdogs-job", Ct));
        var late = queue.EnqueueBackup("web", fire, "schedule");

        var skipped = await WaitForJobAsync(server, late);
        Assert.Equal(("skipped", $"scheduled fire {fire}: job the-watchdogs-job runs it"), (skipped.Phase, skipped.Message));
        Assert.Null(skipped.StartedAt);
        Assert.Empty(await RunsAsync(server));
        Assert.Empty(await catalog.ListSnapshotsAsync("web", Ct));
        var untouched = (await catalog.GetFireAsync(fire, Ct))!;
        Assert.Equal((FireStatus.Enqueued, "the-watchdogs-job", (string?)null), (untouched.Status, untouched.JobId, untouched.Detail));
        var logged = Assert.Single(events.Entries);
        Assert.Equal($"The backup fire {fire} of policy web belongs to another job; job {late} does not run it (job the-watchdogs-job runs it)", logged);

        // The ordinary scheduled path: claimed, queued, recorded, run once, the fire its job's.
        var next = due.AddSeconds(5);
        await using (var scope = server.App.Services.CreateAsyncScope())
        {
            Assert.Equal(FireOutcome.Enqueued, await scope.ServiceProvider.GetRequiredService<FireHandler>().HandleAsync("web", RunKind.Backup, next, Ct));
        }

        var ran = await ServerSandbox.WaitForAsync(
            () => catalog.ListFiresAsync("web", null, Ct), fires => fires.Any(f => f.ScheduledAt.ToUnixTimeSeconds() == next.ToUnixTimeSeconds() && f.Status == FireStatus.Done),
            Timeout, "the scheduled backup's fire done");
        var scheduled = ran.Single(f => f.Id != fire);
        Assert.Equal("succeeded", scheduled.Detail);
        var job = await WaitForJobAsync(server, scheduled.JobId!);
        Assert.Equal("succeeded", job.Phase);

        // A second job of that fire (as the original job of a re-queued stranded fire) runs nothing.
        var second = queue.EnqueueBackup("web", scheduled.Id, "schedule");
        Assert.Equal("skipped", (await WaitForJobAsync(server, second)).Phase);
        var runs = await RunsAsync(server);
        Assert.Equal(("backup", "succeeded"), (Assert.Single(runs).Kind, runs[0].Status));
        Assert.Single(await catalog.ListSnapshotsAsync("web", Ct));
        Assert.Equal((FireStatus.Done, scheduled.JobId), ((await catalog.GetFireAsync(scheduled.Id, Ct))!.Status, (await catalog.GetFireAsync(scheduled.Id, Ct))!.JobId));
        Assert.Equal(2, events.Entries.Count);
    }

    private static async Task<JobDto> WaitForJobAsync(ServerSandbox server, string jobId) =>
        await ServerSandbox.WaitForAsync(
            async () => await ServerSandbox.JsonAsync<JobDto>(await server.Operator().GetAsync($"/api/jobs/{jobId}")), j => j.FinishedAt is not null, Timeout, $"job {jobId}");

    private static async Task<List<RunDto>> RunsAsync(ServerSandbox server) =>
        await ServerSandbox.JsonAsync<List<RunDto>>(await server.Operator().GetAsync("/api/runs?policy=web"));

    /// <summary>The "fire belongs to another job" messages (6017) the service logged.</summary>
    private sealed class OwnershipLog : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<string> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 6017)
            {
                Entries.Enqueue(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }
}
