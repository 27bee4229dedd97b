using System.Net;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Orchestration.Targets;
using DrOrchestrator.Server.Api;
using DrOrchestrator.Server.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace DrOrchestrator.Server.Tests;

/// <summary>
/// "At least daily" without a daily policy (docs/decisions.md §61): the service's own trigger fires
/// once a day, claims its instant in the catalog like a policy fire (a second fire of the instant —
/// another node, a double fire — enqueues nothing), and its job writes a system record to every
/// policy's targets.
/// </summary>
public sealed class SystemRecordDailyJobTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task The_daily_fire_claims_its_instant_once_and_writes_a_record_to_the_policys_target()
    {
        await using var server = await ServerSandbox.StartAsync(settings => ((Dictionary<string, object>)settings["Server"])["PruneAfterBackup"] = false);
        var source = server.Source("web", 2);
        // A weekly policy: its backups alone would not bring a record every day.
        Assert.Equal(HttpStatusCode.OK, (await server.ApplyAsync(TestPolicies.Yaml("web", source, "0 0 3 ? * SUN", keepLast: 3))).StatusCode);
        var backup = await ServerSandbox.JsonAsync<JobDto>(await server.Operator().PostAsync("/api/policies/web/backup", null));
        await ServerSandbox.WaitForAsync(
            async () => await ServerSandbox.JsonAsync<JobDto>(await server.Operator().GetAsync($"/api/jobs/{backup.JobId}")), j => j.FinishedAt is not null, Timeout, "backup");

        // The trigger is registered: daily at 02:30 UTC.
        var scheduler = await server.App.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        var trigger = Assert.IsAssignableFrom<ICronTrigger>(await scheduler.GetTrigger(SystemRecordDailyJob.TriggerKey));
        Assert.Equal((SystemRecordDailyJob.Cron, TimeZoneInfo.Utc.Id), (trigger.CronExpressionString, trigger.TimeZone.Id));

        var due = new DateTimeOffset(DateTimeOffset.UtcNow.Date, TimeSpan.Zero).AddHours(2).AddMinutes(30);
        await using (var scope = server.App.Services.CreateAsyncScope())
        {
            var job = ActivatorUtilities.CreateInstance<SystemRecordDailyJob>(scope.ServiceProvider);
            Assert.NotNull(await job.FireAsync(due, CancellationToken.None));
            Assert.Null(await job.FireAsync(due, CancellationToken.None));
        }

        var fire = await ServerSandbox.WaitForAsync(
            async () => (await ServerSandbox.JsonAsync<List<FireDto>>(await server.Operator().GetAsync($"/api/fires?policy={SystemRecords.PolicyName}"))).Single(),
            f => f.Status == "done", Timeout, "system record fire");
        Assert.Equal(("systembackup", "succeeded: 1 target(s) received a record"), (fire.Kind, fire.Detail));
        Assert.Equal(due.ToUnixTimeSeconds(), fire.ScheduledAt.ToUnixTimeSeconds());

        await using (var scope = server.App.Services.CreateAsyncScope())
        {
            var runs = (await scope.ServiceProvider.GetRequiredService<CatalogStore>().ListRunsAsync(null, 100, CancellationToken.None))
                .Where(r => r.Kind == RunKind.SystemBackup).ToList();
            // One after the first backup (none was due before), one from the daily fire.
            Assert.Equal(2, runs.Count);
            Assert.All(runs, r => Assert.Equal((RunStatus.Succeeded, "local"), (r.Status, r.TargetName)));
            await using var repository = await scope.ServiceProvider.GetRequiredService<RepositoryAccess>().OpenReadOnlyAsync("local", CancellationToken.None);
            var records = (await repository.ListSnapshotsAsync(CancellationToken.None)).Where(SystemRecords.IsRecord).Select(s => s.Id).Order();
            Assert.Equal(runs.Select(r => r.Figures.SnapshotId!).Order(), records);
        }
    }
}
