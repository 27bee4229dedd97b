using DrOrchestrator.Catalog;
using DrOrchestrator.Server.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace DrOrchestrator.Server.Tests;

/// <summary>The service forgets finished fires past <c>Server:FireHistoryDays</c> every hour (docs/decisions.md §75).</summary>
public sealed class FireHistoryRetentionJobTests
{
    [Fact]
    public async Task The_hourly_job_is_registered_and_forgets_finished_fires_older_than_the_configured_days()
    {
        await using var server = await ServerSandbox.StartAsync(settings => ((Dictionary<string, object>)settings["Server"])["FireHistoryDays"] = 7);
        var scheduler = await server.App.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        var trigger = Assert.IsAssignableFrom<ICronTrigger>(await scheduler.GetTrigger(FireHistoryRetentionJob.TriggerKey));
        Assert.Equal((FireHistoryRetentionJob.Cron, TimeZoneInfo.Utc.Id, FireHistoryRetentionJob.Key), (trigger.CronExpressionString, trigger.TimeZone.Id, trigger.JobKey));

        var now = DateTimeOffset.UtcNow;
        await using var scope = server.App.Services.CreateAsyncScope();
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogStore>();
        foreach (var (age, status) in new (double Days, FireStatus Status)[] { (9, FireStatus.Done), (8, FireStatus.Missed), (8.5, FireStatus.Enqueued), (6, FireStatus.Done), (1, FireStatus.Done) })
        {
            Assert.NotNull(await catalog.TryClaimFireAsync("web", RunKind.Backup, now.AddDays(-age), status, null, CancellationToken.None));
        }

        var job = ActivatorUtilities.CreateInstance<FireHistoryRetentionJob>(scope.ServiceProvider);
        Assert.Equal(2, await job.ForgetAsync(CancellationToken.None));

        var left = await catalog.ListFiresAsync("web", null, CancellationToken.None);
        Assert.Equal([FireStatus.Enqueued, FireStatus.Done, FireStatus.Done], left.Select(f => f.Status));
        Assert.Equal(0, await job.ForgetAsync(CancellationToken.None));
    }
}
