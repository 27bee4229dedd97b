using System.Text.Json;
using DrOrchestrator.Storage.Tests.Emulators;
using Microsoft.Data.Sqlite;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// The incident of issue 18: back up, apply policies, drill; lose the catalog file and the policy
/// files; `catalog rebuild --from` one target brings back the policies, the snapshots with their
/// presence and the drill history, reports what happened after the last system record, and a
/// restore succeeds — from a local target and from S3 (s3rver).
/// </summary>
[Collection(CloudEmulators.Name)]
public sealed class CatalogRebuildCommandTests : IDisposable
{
    private readonly string _bucket = "b" + Guid.NewGuid().ToString("N")[..12];
    private readonly CliSandbox _sandbox;
    private readonly string _source;

    public CatalogRebuildCommandTests(S3rverFixture s3)
    {
        ArgumentNullException.ThrowIfNull(s3);
        s3.CreateStoreAsync(_bucket).GetAwaiter().GetResult().Dispose();
        _sandbox = new CliSandbox(settings =>
        {
            var targets = (Dictionary<string, object>)settings["Targets"];
            targets["vault"] = new Dictionary<string, string> { ["Type"] = "local", ["Path"] = "vault" };
            targets["s3main"] = new Dictionary<string, object>
            {
                ["Type"] = "s3", ["ServiceUrl"] = s3.ServiceUrl, ["ForcePathStyle"] = "true", ["Bucket"] = _bucket, ["Prefix"] = "repo",
                ["AccessKeyIdEnvironmentVariable"] = S3rverFixture.AccessKeyVariable, ["SecretAccessKeyEnvironmentVariable"] = S3rverFixture.SecretKeyVariable,
                ["DisableChunkEncoding"] = "true", ["ChecksumsWhenRequiredOnly"] = "true",
            };
            settings["Drill"] = new Dictionary<string, string> { ["Root"] = "drills" };
        });
        _source = Path.Combine(_sandbox.Root, "source");
        Directory.CreateDirectory(Path.Combine(_source, "docs"));
        for (var i = 0; i < 6; i++)
        {
            File.WriteAllBytes(Path.Combine(_source, "docs", $"f{i}.bin"), BackupRestoreCommandTests.RandomBytes(300_000 + i, seed: 900 + i));
        }
    }

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public Task The_catalog_is_rebuilt_from_a_local_target() => RebuildAfterLossAsync(primary: "local", replica: "vault");

    [Fact]
    public Task The_catalog_is_rebuilt_from_an_s3_target() => RebuildAfterLossAsync(primary: "s3main", replica: "local");

    private async Task RebuildAfterLossAsync(string primary, string replica)
    {
        var alpha = WritePolicy("alpha", $"targets:\n  - {{ name: {primary}, role: primary }}\n  - {{ name: {replica}, role: replica }}");
        var beta = WritePolicy("beta", $"targets:\n  - {{ name: {primary}, role: primary }}");
        await RunOkAsync("policy", "apply", alpha);
        await RunOkAsync("policy", "apply", beta);
        await RunOkAsync("backup", "alpha");
        await RunOkAsync("backup", "beta");
        await RunOkAsync("drill", "alpha", "--from", primary);

        var policiesBefore = (await RunOkAsync("policy", "list")).Stdout;
        var alphaBefore = (await RunOkAsync("snapshots", "alpha", "--json")).Stdout;
        var betaBefore = Ids((await RunOkAsync("snapshots", "beta", "--json")).Stdout);
        var statusBefore = StatusRows((await _sandbox.RunAsync("status", "--json")).Stdout);
        Assert.Contains(statusBefore, row => row.Contains($"alpha|{primary}|", StringComparison.Ordinal) && row.Contains("|passed|", StringComparison.Ordinal));

        // After the last record (written by the drill): one more backup of beta, not due for a record of its own.
        File.WriteAllText(Path.Combine(_source, "docs", "late.txt"), "written after the last system record\n");
        await RunOkAsync("backup", "beta");
        var betaLate = Ids((await RunOkAsync("snapshots", "beta", "--json")).Stdout).Except(betaBefore).Single();

        // The incident: catalog and policy files gone.
        SqliteConnection.ClearAllPools();
        foreach (var file in Directory.EnumerateFiles(_sandbox.Root, "catalog.db*"))
        {
            File.Delete(file);
        }

        File.Delete(alpha);
        File.Delete(beta);

        // --write-config never replaces a file without --force, and refuses before anything is rebuilt.
        var taken = Path.Combine(_sandbox.Root, "taken.json");
        File.WriteAllText(taken, "{}");
        var refused = await _sandbox.RunAsync("catalog", "rebuild", "--from", primary, "--write-config", taken);
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal($"drorch: error: {taken}: file exists; `catalog rebuild --write-config` does not overwrite it without --force", refused.Stderr.Trim());
        Assert.Equal("{}", File.ReadAllText(taken));

        // Records are on by default (this sandbox does not mention SystemBackup).
        var recovered = Path.Combine(_sandbox.Root, "recovered.json");
        var rebuild = await RunOkAsync("catalog", "rebuild", "--from", primary, "--write-config", recovered, "--json");
        using (var result = JsonDocument.Parse(rebuild.Stdout))
        {
            var r = result.RootElement;
            Assert.Equal(recovered, r.GetProperty("configurationWrittenTo").GetString());
            Assert.True(r.GetProperty("configurationSettings").GetInt32() > 5, rebuild.Stdout);
            Assert.Equal(primary, r.GetProperty("target").GetString());
            Assert.False(string.IsNullOrEmpty(r.GetProperty("recordSnapshotId").GetString()));
            Assert.Equal(2, r.GetProperty("policies").GetInt32());
            Assert.Equal(2, r.GetProperty("snapshots").GetInt32());
            Assert.Equal(1, r.GetProperty("drills").GetInt32());
            var added = r.GetProperty("addedFromRepository").EnumerateArray().ToList();
            Assert.Equal([betaLate], added.Select(a => a.GetProperty("id").GetString()));
            Assert.Equal("beta", added[0].GetProperty("policy").GetString());
            Assert.Empty(r.GetProperty("goneSinceRecord").EnumerateArray());
        }

        // The recovered configuration: the targets with their secret references (values were never recorded, SystemConfigurationTests);
        // the orchestrator runs on it alone from here on.
        var written = File.ReadAllText(recovered);
        Assert.Contains(S3rverFixture.SecretKeyVariable, written, StringComparison.Ordinal);
        Assert.Contains(_bucket, written, StringComparison.Ordinal);
        File.Copy(recovered, _sandbox.ConfigPath, overwrite: true);

        Assert.Equal(policiesBefore, (await RunOkAsync("policy", "list")).Stdout);
        Assert.Equal(alphaBefore, (await RunOkAsync("snapshots", "alpha", "--json")).Stdout);
        Assert.Equal([.. betaBefore, betaLate], Ids((await RunOkAsync("snapshots", "beta", "--json")).Stdout));
        var statusAfter = StatusRows((await _sandbox.RunAsync("status", "--json")).Stdout);
        Assert.Equal(statusBefore.Where(r => r.StartsWith("alpha|", StringComparison.Ordinal)), statusAfter.Where(r => r.StartsWith("alpha|", StringComparison.Ordinal)));

        var restoreTo = Path.Combine(_sandbox.Root, "restored");
        await RunOkAsync("restore", "alpha", "--to", restoreTo);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(_source, "docs")).Where(f => !f.EndsWith("late.txt", StringComparison.Ordinal)))
        {
            Assert.Equal(CliSandbox.Sha256(file), CliSandbox.Sha256(Path.Combine(restoreTo, "source", "docs", Path.GetFileName(file))));
        }

        var again = await _sandbox.RunAsync("catalog", "rebuild", "--from", primary);
        Assert.Equal(2, again.ExitCode);
        Assert.StartsWith("drorch: error: the catalog is not empty (2 policies, 3 snapshots, ", again.Stderr, StringComparison.Ordinal);
        Assert.Contains("fills only an empty catalog", again.Stderr, StringComparison.Ordinal);
    }

    private string WritePolicy(string name, string targets)
    {
        var path = Path.Combine(_sandbox.Root, name + ".yaml");
        File.WriteAllText(path, $$"""
            name: {{name}}
            sources:
              - type: files
                paths: ["{{_source}}"]
            {{targets.Replace("\n", "\n            ", StringComparison.Ordinal)}}
            schedule: { cron: "0 0 2 * * ?", timeZone: UTC }
            rpo: 24h
            rto: 1h
            retention: { keepLast: 7 }
            """);
        return path;
    }

    private async Task<CliRun> RunOkAsync(params string[] args)
    {
        var run = await _sandbox.RunAsync(args);
        Assert.True(run.ExitCode == 0, $"drorch {string.Join(' ', args)}: {run}");
        return run;
    }

    private static List<string> Ids(string snapshotsJson)
    {
        using var json = JsonDocument.Parse(snapshotsJson);
        return [.. Objects(json.RootElement).Where(o => o.TryGetProperty("id", out _) && o.TryGetProperty("targets", out _)).Select(o => o.GetProperty("id").GetString()!)];
    }

    /// <summary>The status rows' fields that do not move with the clock: policy, target, role, newest recovery point, last drill and its time, achieved and predicted RTO.</summary>
    private static List<string> StatusRows(string statusJson)
    {
        using var json = JsonDocument.Parse(statusJson);
        return
        [
            .. Objects(json.RootElement).Where(o => o.TryGetProperty("policy", out _) && o.TryGetProperty("lastDrill", out _))
                .Select(o => string.Join('|', new[] { "policy", "target", "role", "newestRecoveryPoint", "lastDrill", "lastDrillAt", "rtoAchievedSeconds", "predictedRtoSeconds" }
                    .Select(p => o.TryGetProperty(p, out var v) ? v.ToString() : "?")) + "|"),
        ];
    }

    private static IEnumerable<JsonElement> Objects(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            yield return element;
            foreach (var child in element.EnumerateObject().SelectMany(p => Objects(p.Value)))
            {
                yield return child;
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var child in element.EnumerateArray().SelectMany(Objects))
            {
                yield return child;
            }
        }
    }
}
