using DrOrchestrator.Catalog;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Monitoring;
using DrOrchestrator.Orchestration.Policies;
using DrOrchestrator.Orchestration.Restore;

namespace DrOrchestrator.Orchestration.Tests;

/// <summary>
/// A restore that succeeded is recorded as a finished run of kind restore (target, bytes, files,
/// duration), and its throughput gives the target a predicted RTO without any drill.
/// </summary>
public sealed class RestoreThroughputTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private OrchestrationSandbox _sandbox = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await OrchestrationSandbox.CreateAsync();
        await _sandbox.Get<PolicyApplyService>().ApplyAsync(_sandbox.WritePolicy("web"), None);
    }

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task A_restore_is_recorded_with_its_target_and_bytes_and_feeds_the_predicted_rto()
    {
        var backup = await _sandbox.Get<PolicyBackupService>().BackupAsync("web", null, None);
        var snapshot = backup.Results[0].Snapshot;
        var sourceBytes = Directory.EnumerateFiles(_sandbox.Source, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        var restores = _sandbox.Get<PolicyRestoreService>();

        var fromMain = await restores.RestoreAsync(new PolicyRestoreRequest("web", null, null, "main", [], Path.Combine(_sandbox.Root, "r1"), false), null, None);
        // Without --from the policy's targets are read as one fallback set: attributed to its first target, main.
        var fromSet = await restores.RestoreAsync(new PolicyRestoreRequest("web", null, null, null, [], Path.Combine(_sandbox.Root, "r2"), false), null, None);

        var runs = (await _sandbox.Catalog.ListRunsAsync("web", 10, None)).Where(r => r.Kind == RunKind.Restore).OrderBy(r => r.Id).ToList();
        Assert.Equal(2, runs.Count);
        Assert.All(runs, run =>
        {
            Assert.Equal((RunStatus.Succeeded, "main", sourceBytes, 4L, snapshot.Id), (run.Status, run.TargetName, run.Figures.BytesRead, run.Figures.Files, run.Figures.SnapshotId));
            Assert.True(run.FinishedAt > run.StartedAt, $"{run.StartedAt:O} .. {run.FinishedAt:O}");
        });
        Assert.InRange(runs[0].FinishedAt!.Value - runs[0].StartedAt, TimeSpan.FromTicks(1), fromMain.Elapsed + TimeSpan.FromMilliseconds(1));
        Assert.InRange(runs[1].FinishedAt!.Value - runs[1].StartedAt, TimeSpan.FromTicks(1), fromSet.Elapsed + TimeSpan.FromMilliseconds(1));

        var report = await _sandbox.Get<ObjectivesService>().GetAsync(null, null, None);
        var targets = report.Policies.Single().Targets;
        Assert.Null(targets.Single(t => t.Target == "main").LastDrill);
        Assert.NotNull(targets.Single(t => t.Target == "main").PredictedRto);
        Assert.Null(targets.Single(t => t.Target == "offsite").PredictedRto);
    }
}
