using System.Security.Cryptography;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Check;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Check;
using DrOrchestrator.Orchestration.Policies;
using DrOrchestrator.Orchestration.Replication;
using DrOrchestrator.Orchestration.Restore;
using DrOrchestrator.Orchestration.Targets;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Orchestration.Tests;

/// <summary>
/// The use cases on their own, through the services a front door calls: a backup recorded in the
/// catalog with presence per target, a restore compared by SHA-256, a copy that updates presence,
/// and a check that finds a corrupted pack.
/// </summary>
public sealed class BackupRestoreCopyCheckTests : IAsyncLifetime
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
    public async Task A_backup_records_its_run_and_snapshot_with_presence_on_the_primary_and_the_replica()
    {
        var outcome = await _sandbox.Get<PolicyBackupService>().BackupAsync("web", null, None);

        Assert.Equal(RunStatus.Succeeded, outcome.Status);
        var snapshotId = Assert.Single(outcome.Results).Snapshot.Id;
        var run = await _sandbox.Catalog.GetRunAsync(outcome.RunId, None);
        Assert.NotNull(run);
        Assert.Equal((RunKind.Backup, RunStatus.Succeeded, "web", "main"), (run.Kind, run.Status, run.PolicyName, run.TargetName));
        Assert.Equal((4L, snapshotId), (run.Figures.Files, run.Figures.SnapshotId));
        var snapshot = Assert.Single(await _sandbox.Catalog.ListSnapshotsAsync("web", None));
        Assert.Equal(snapshotId, snapshot.Figures.SnapshotId);
        Assert.Equal(Directory.EnumerateFiles(_sandbox.Source, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length), snapshot.Figures.TotalBytes);
        Assert.Equal(["main", "offsite"], snapshot.Presence.Select(p => p.TargetName));
        Assert.All(snapshot.Presence, p => Assert.Equal(PresenceStatus.Present, p.Status));
        Assert.All(snapshot.Presence, p => Assert.NotNull(p.CompleteAt));
        var copy = Assert.Single(outcome.Copies);
        Assert.Equal(("offsite", null), (copy.Target, copy.Error));
    }

    [Fact]
    public async Task A_restore_brings_back_every_file_byte_for_byte_from_either_target()
    {
        var backup = await _sandbox.Get<PolicyBackupService>().BackupAsync("web", null, None);
        var restore = _sandbox.Get<PolicyRestoreService>();

        foreach (var from in new string?[] { null, "offsite" })
        {
            var destination = Path.Combine(_sandbox.Root, "restored-" + (from ?? "any"));
            var outcome = await restore.RestoreAsync(new PolicyRestoreRequest("web", null, null, from, [], destination, Overwrite: false), null, None);

            Assert.Equal(backup.Results[0].Snapshot.Id, outcome.Snapshot.Id);
            Assert.Equal(from ?? "main+offsite", outcome.Target);
            Assert.Equal(4, outcome.Result.FilesVerified);
            Assert.Equal(OrchestrationSandbox.Hashes(_sandbox.Source), OrchestrationSandbox.Hashes(Path.Combine(destination, "source")));
        }
    }

    [Fact]
    public async Task A_restore_reads_only_the_policys_targets_and_fails_as_an_operation_failure_when_they_are_unreadable()
    {
        var backup = await _sandbox.Get<PolicyBackupService>().BackupAsync("web", null, None);
        var stray = _sandbox.Targets["stray"];
        foreach (var key in _sandbox.Targets["main"].Keys)
        {
            stray[key] = _sandbox.Targets["main"][key];
        }

        foreach (var name in new[] { "main", "offsite" })
        {
            _sandbox.Targets[name].BeforeGet = (key, _) =>
                throw new ObjectStoreException("memory:" + name, key, "403 AccessDenied: injected", isTransient: false);
        }

        var restore = _sandbox.Get<PolicyRestoreService>();
        var failed = await Assert.ThrowsAsync<DrOrchestrator.Core.Repository.RepositoryException>(() =>
            restore.RestoreAsync(new PolicyRestoreRequest("web", null, null, null, [], Path.Combine(_sandbox.Root, "nowhere"), Overwrite: false), null, None));

        Assert.IsNotType<DrOrchestrator.Core.Repository.SnapshotNotFoundException>(failed);
        Assert.StartsWith("no snapshot of policy 'web' could be read from any target (main+offsite: ", failed.Message, StringComparison.Ordinal);
        Assert.Contains("403 AccessDenied: injected", failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("stray", failed.Message, StringComparison.Ordinal);
        Assert.Equal(DrOrchestrator.Orchestration.Contracts.FailureKind.Failed, DrOrchestrator.Orchestration.Contracts.OperationFailure.From(failed).Kind);
        Assert.False(Directory.Exists(Path.Combine(_sandbox.Root, "nowhere", "source")));

        var destination = Path.Combine(_sandbox.Root, "from-stray");
        var outcome = await restore.RestoreAsync(new PolicyRestoreRequest("web", null, null, "stray", [], destination, Overwrite: false), null, None);
        Assert.Equal((backup.Results[0].Snapshot.Id, "stray"), (outcome.Snapshot.Id, outcome.Target));
        Assert.Equal(OrchestrationSandbox.Hashes(_sandbox.Source), OrchestrationSandbox.Hashes(Path.Combine(destination, "source")));
    }

    [Fact]
    public async Task A_copy_to_the_replica_marks_the_snapshot_present_there_in_the_catalog()
    {
        var backup = await _sandbox.Get<PolicyBackupService>().BackupAsync("web", new BackupRunOptions(CopyAfterBackup: false), null, None);
        var before = Assert.Single(await _sandbox.Catalog.ListSnapshotsAsync("web", None));
        Assert.Equal(["main"], before.Presence.Select(p => p.TargetName));
        var policy = (await _sandbox.Catalog.GetPolicyAsync("web", None))!.ToPolicy();

        var copies = await _sandbox.Get<ReplicaCopyService>().CatchUpAsync(policy, None);

        var copy = Assert.Single(copies);
        Assert.Equal(("offsite", null), (copy.Target, copy.Error));
        Assert.True(copy.Report!.PacksCopied > 0);
        var after = Assert.Single(await _sandbox.Catalog.ListSnapshotsAsync("web", None));
        var offsite = after.Presence.Single(p => p.TargetName == "offsite");
        Assert.Equal(PresenceStatus.Present, offsite.Status);
        Assert.NotNull(offsite.CompleteAt);
        Assert.Equal(backup.Results[0].Snapshot.Id, after.Figures.SnapshotId);
        var run = (await _sandbox.Catalog.ListRunsAsync("web", 1, None)).Single();
        Assert.Equal((RunKind.Copy, RunStatus.Succeeded, "offsite"), (run.Kind, run.Status, run.TargetName));
    }

    [Fact]
    public async Task A_check_passes_a_healthy_target_and_reports_a_corrupted_pack_without_writing()
    {
        await _sandbox.Get<PolicyBackupService>().BackupAsync("web", null, None);
        var check = _sandbox.Get<TargetCheckService>();
        var healthy = await check.CheckAsync("main", readData: true, None).ToListAsync();
        Assert.DoesNotContain(healthy, f => f.Severity == CheckSeverity.Error);

        var main = _sandbox.Targets["main"];
        var packKey = main.Keys.Where(k => k.StartsWith("data/", StringComparison.Ordinal)).MaxBy(k => main[k].Length)!;
        var damaged = main[packKey].ToArray();
        damaged[damaged.Length / 2] ^= 0xFF;
        main[packKey] = damaged;
        var objects = Contents(main);

        var findings = await check.CheckAsync("main", readData: true, None).ToListAsync();

        var errors = findings.Where(f => f.Severity == CheckSeverity.Error).ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Equal(packKey, e.ObjectKey));
        Assert.Contains(errors.SelectMany(e => e.AffectedFiles), f => f.EndsWith(":source/docs/large.bin", StringComparison.Ordinal));
        Assert.Equal(objects, Contents(main));
    }

    [Fact]
    public async Task Targets_opened_for_restore_and_check_refuse_writes()
    {
        var store = _sandbox.Get<TargetRegistry>().OpenReadOnly("main");

        var put = await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutAsync("config", new MemoryStream([1]), None));
        var delete = await Assert.ThrowsAsync<ObjectStoreException>(() => store.DeleteAsync("config", None));

        Assert.Contains("put refused: the store is opened read-only", put.Message, StringComparison.Ordinal);
        Assert.Contains("delete refused: the store is opened read-only", delete.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("config", _sandbox.Targets["main"].Keys);
    }

    /// <summary>Every object of <paramref name="store"/>: key → SHA-256 of its bytes.</summary>
    private static SortedDictionary<string, string> Contents(InMemoryObjectStore store) =>
        new(store.Keys.ToDictionary(k => k, k => Convert.ToHexString(SHA256.HashData(store[k]))), StringComparer.Ordinal);
}
