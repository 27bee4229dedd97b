using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.CatalogRebuild;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Policies;
using DrOrchestrator.Orchestration.Targets;

namespace DrOrchestrator.Orchestration.Tests;

/// <summary>
/// The orchestrator's own backup travels like a policy's snapshot (docs/decisions.md §61): written
/// once to the primaries, copied to the replicas, so a replica holds exactly its primary's objects;
/// on by default, off with <c>SystemBackup:Enabled: false</c>.
/// </summary>
public sealed class SystemBackupServiceTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_record_is_written_once_per_primary_set_and_copied_so_the_replica_holds_exactly_the_primarys_objects()
    {
        await using var sandbox = await OrchestrationSandbox.CreateAsync();
        await sandbox.Get<PolicyApplyService>().ApplyAsync(sandbox.WritePolicy("web"), None);
        // A second policy with the same primary and no replica: the same set, no second record.
        var api = Path.Combine(sandbox.Root, "api.yaml");
        File.WriteAllText(api, File.ReadAllText(sandbox.WritePolicy("api")).Replace("  - name: offsite\n    role: replica\n", "", StringComparison.Ordinal));
        await sandbox.Get<PolicyApplyService>().ApplyAsync(api, None);

        // The first backup creates the repositories and brings the first record (none was due before).
        await sandbox.Get<PolicyBackupService>().BackupAsync("web", null, None);
        Assert.Equal(sandbox.Targets["main"].Keys, sandbox.Targets["offsite"].Keys);
        Assert.Single(await RecordsAsync(sandbox, "main"));

        var written = await sandbox.Get<SystemBackupService>().WriteAsync(null, onlyIfDue: false, None);

        Assert.Equal(["main", "offsite"], written.Targets.Select(t => t.Target));
        Assert.All(written.Targets, t => Assert.Equal((null, null), (t.Error, t.Skipped)));
        var id = Assert.Single(written.Targets.Select(t => t.SnapshotId).Distinct());
        Assert.NotNull(id);
        // Object for object: the restore's fallback finds on the replica every key the primary lists.
        Assert.Equal(sandbox.Targets["main"].Keys, sandbox.Targets["offsite"].Keys);
        Assert.Equal(2, (await RecordsAsync(sandbox, "main")).Count);
        Assert.Contains(id, await RecordsAsync(sandbox, "offsite"));
        var runs = (await sandbox.Catalog.ListRunsAsync(null, 100, None)).Where(r => r.Kind == Catalog.RunKind.SystemBackup && r.Figures.SnapshotId == id).ToList();
        Assert.Equal(["main", "offsite"], runs.Select(r => r.TargetName).Order());
        Assert.All(runs, r => Assert.Equal(Catalog.RunStatus.Succeeded, r.Status));

        // Not due again within the day.
        var again = await sandbox.Get<SystemBackupService>().WriteAsync(["main"], onlyIfDue: true, None);
        Assert.All(again.Targets, t => Assert.Equal("not due", t.Skipped));
    }

    [Fact]
    public async Task A_set_without_a_repository_is_skipped_and_nothing_is_created()
    {
        await using var sandbox = await OrchestrationSandbox.CreateAsync();
        await sandbox.Get<PolicyApplyService>().ApplyAsync(sandbox.WritePolicy("web"), None);

        var written = await sandbox.Get<SystemBackupService>().WriteAsync(null, onlyIfDue: false, None);

        Assert.Equal([("main", "no repository yet"), ("offsite", "no repository yet")], written.Targets.Select(t => (t.Target, t.Skipped)));
        Assert.Empty(sandbox.Targets["main"].Keys);
        Assert.Empty(sandbox.Targets["offsite"].Keys);
    }

    [Fact]
    public async Task Records_are_off_with_enabled_false()
    {
        await using var sandbox = await OrchestrationSandbox.CreateAsync(configure: s => s["SystemBackup"] = new Dictionary<string, string> { ["Enabled"] = "false" });
        await sandbox.Get<PolicyApplyService>().ApplyAsync(sandbox.WritePolicy("web"), None);

        await sandbox.Get<PolicyBackupService>().BackupAsync("web", null, None);

        Assert.Empty(await RecordsAsync(sandbox, "main"));
        Assert.Empty((await sandbox.Get<SystemBackupService>().WriteAsync(null, onlyIfDue: false, None)).Targets);
    }

    [Fact]
    public void Sets_group_policies_by_primaries_and_feed_a_replica_before_it_serves_as_a_primary()
    {
        // "hub" is a replica of edge's policies and the primary of its own, whose replica is "vault".
        var own = Policy("own", ("hub", TargetRole.Primary), ("vault", TargetRole.Replica));
        var edge = Policy("edge", ("edge", TargetRole.Primary), ("hub", TargetRole.Replica));
        var edge2 = Policy("edge2", ("edge", TargetRole.Primary), ("far", TargetRole.Replica));

        var sets = SystemRecordTargetSet.From([own, edge, edge2], only: null);

        Assert.Equal(2, sets.Count);
        Assert.Equal(["edge"], sets[0].Primaries);
        Assert.Equal(["hub", "far"], sets[0].Replicas);
        Assert.Equal(["hub"], sets[1].Primaries);
        Assert.Equal(["vault"], sets[1].Replicas);
        Assert.Equal(["hub"], SystemRecordTargetSet.From([own, edge], ["vault"]).Single().Primaries);
        Assert.Equal(["loose"], SystemRecordTargetSet.From([own], ["loose"]).Single().Primaries);
    }

    private static Policy Policy(string name, params (string Name, TargetRole Role)[] targets)
    {
        var yaml = $"""
            name: {name}
            sources: [{"{"} type: files, paths: ["/srv/{name}"] {"}"}]
            targets:
            {string.Join("\n", targets.Select(t => $"  - {{ name: {t.Name}, role: {t.Role.ToString().ToLowerInvariant()} }}"))}
            schedule: {"{"} cron: "0 0 2 * * ?", timeZone: UTC {"}"}
            rpo: 24h
            rto: 1h
            retention: {"{"} keepLast: 7 {"}"}
            """;
        var parsed = PolicyFileParser.Parse(new StringReader(yaml), name + ".yaml");
        Assert.True(parsed.IsValid, string.Join("\n", parsed.Problems));
        return parsed.Policies[0];
    }

    private static async Task<List<string>> RecordsAsync(OrchestrationSandbox sandbox, string target)
    {
        await using var repository = await sandbox.Get<RepositoryAccess>().OpenReadOnlyAsync(target, None);
        return [.. (await repository.ListSnapshotsAsync(None)).Where(SystemRecords.IsRecord).Select(s => s.Id)];
    }
}

/// <summary>`catalog rebuild --write-config`: the recorded configuration back as an appsettings.json.</summary>
public sealed class RecoveredConfigurationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("drorch-recovered-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task The_written_file_loads_back_to_the_same_settings_with_arrays_and_nested_sections()
    {
        var settings = new Dictionary<string, string>
        {
            ["Catalog:Provider"] = "Sqlite",
            ["Targets:s3:Type"] = "s3",
            ["Targets:s3:SecretAccessKeyEnvironmentVariable"] = "S3_SECRET",
            ["Server:ApiKeys:0:Name"] = "ops",
            ["Server:ApiKeys:1:Name"] = "ci",
            ["Server:Urls:0"] = "http://0.0.0.0:8080",
            ["DrOrchestrator:ConfigFile"] = "/old/host/appsettings.json",
        };
        var path = Path.Combine(_root, "appsettings.json");

        var count = await RecoveredConfiguration.WriteAsync(path, settings, overwrite: false, CancellationToken.None);

        Assert.Equal(6, count);
        Assert.Contains("\"ApiKeys\": [", File.ReadAllText(path), StringComparison.Ordinal);
        var loaded = ConfigurationLoader.Load(path);
        foreach (var (key, value) in settings.Where(s => !s.Key.StartsWith("DrOrchestrator:", StringComparison.Ordinal)))
        {
            Assert.Equal(value, loaded[key]);
        }

        Assert.Equal(path, loaded["DrOrchestrator:ConfigFile"]);
        Assert.Empty(Directory.EnumerateFiles(_root, "*.tmp"));
    }

    [Fact]
    public async Task An_existing_file_is_refused_without_force_and_replaced_with_it()
    {
        var path = Path.Combine(_root, "appsettings.json");
        File.WriteAllText(path, "{ \"keep\": \"me\" }");
        var settings = new Dictionary<string, string> { ["Catalog:Provider"] = "Sqlite" };

        var refused = await Assert.ThrowsAsync<ConfigurationException>(() => RecoveredConfiguration.WriteAsync(path, settings, overwrite: false, CancellationToken.None));

        Assert.Equal($"{path}: file exists; `catalog rebuild --write-config` does not overwrite it without --force", refused.Message);
        Assert.Equal("{ \"keep\": \"me\" }", File.ReadAllText(path));
        await RecoveredConfiguration.WriteAsync(path, settings, overwrite: true, CancellationToken.None);
        Assert.Equal("Sqlite", ConfigurationLoader.Load(path)["Catalog:Provider"]);
        Assert.Contains("directory", Assert.Throws<ConfigurationException>(() => RecoveredConfiguration.EnsureWritable(Path.Combine(_root, "no", "x.json"), overwrite: false)).Message, StringComparison.Ordinal);
    }
}
