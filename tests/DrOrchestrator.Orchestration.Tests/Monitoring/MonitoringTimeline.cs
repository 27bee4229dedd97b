using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Orchestration.Tests.Monitoring;

/// <summary>Seeds the catalog of a sandbox: a policy, snapshots complete on targets at given times, drill runs.</summary>
internal static class MonitoringTimeline
{
    public static string PolicyYaml(string name, string rpo, string rto, params string[] targets) => $"""
        name: {name}
        sources:
          - type: files
            paths: ["/srv/{name}"]
        targets:
        {string.Join("\n", targets.Select((t, i) => $"  - name: {t}\n    role: {(i == 0 ? "primary" : "replica")}"))}
        schedule: {"{"} cron: "0 0 2 * * ?", timeZone: UTC {"}"}
        rpo: {rpo}
        rto: {rto}
        retention: {"{"} keepLast: 7 {"}"}
        """;

    public static async Task ApplyAsync(CatalogStore catalog, string yaml)
    {
        var parsed = PolicyFileParser.Parse(new StringReader(yaml), "test.yaml");
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Problems));
        foreach (var target in parsed.Policies[0].Targets)
        {
            await catalog.UpsertTargetAsync(new CatalogTarget(target.Name, MemoryTargets.TypeName, null), CancellationToken.None);
        }

        await catalog.UpsertPolicyAsync(parsed.Policies[0], yaml, CancellationToken.None);
    }

    /// <summary>Records snapshot <paramref name="id"/> (recovery point <paramref name="recoveryPoint"/>) complete on <paramref name="target"/> at <paramref name="completeAt"/>.</summary>
    public static Task SnapshotAsync(CatalogStore catalog, string policy, string id, DateTimeOffset recoveryPoint, string target, DateTimeOffset completeAt, long totalBytes = 1000) =>
        catalog.RecordSnapshotAsync(
            policy,
            new SnapshotFigures(id, SnapshotKind.Files, recoveryPoint, recoveryPoint, "host", "tree-" + id, null, 10, 1, totalBytes, totalBytes, totalBytes),
            target,
            completeAt,
            CancellationToken.None);

    /// <summary>A finished drill run of <paramref name="policy"/> from <paramref name="target"/>, recorded through the drill schema.</summary>
    public static async Task<long> DrillAsync(
        CatalogStore catalog, string policy, string target, string snapshotId, DrillOutcome outcome, long bytes, TimeSpan achieved, TimeSpan rtoTarget, params DrillMismatch[] mismatches)
    {
        var run = await catalog.StartRunAsync(policy, RunKind.Drill, target, CancellationToken.None);
        await catalog.RecordDrillAsync(run, new DrillOutcomeInput(snapshotId, outcome, 10, bytes, achieved, rtoTarget, mismatches), CancellationToken.None);
        await catalog.CompleteRunAsync(
            run, outcome == DrillOutcome.Failed ? RunStatus.Failed : RunStatus.Succeeded, new RunFigures(bytes, 0, 0, 10, 0, snapshotId), [], null, CancellationToken.None);
        return run;
    }
}
