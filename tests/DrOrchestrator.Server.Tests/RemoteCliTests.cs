using System.Security.Cryptography;
using System.Text.Json;
using DrOrchestrator.Cli.Commands;
using DrOrchestrator.Cli.Commands.Remote;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Server.Api;

namespace DrOrchestrator.Server.Tests;

/// <summary>`drorch --server URL …`: the CLI's commands driving a running `drorch serve` over its API.</summary>
public sealed class RemoteCliTests
{
    private sealed record CliResult(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    private static async Task<CliResult> DrorchAsync(string? apiKey, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Environment.SetEnvironmentVariable(ServiceClient.ApiKeyVariable, apiKey);
        try
        {
            var exit = await CommandTree.Build(new CliOutput(stdout, stderr, interactive: false)).Parse(args).InvokeAsync();
            return new CliResult(exit, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable(ServiceClient.ApiKeyVariable, null);
        }
    }

    [Fact]
    public async Task Apply_list_backup_snapshots_runs_and_restore_go_through_the_service()
    {
        await using var server = await ServerSandbox.StartAsync();
        var url = server.BaseAddress.ToString();
        var source = server.Source("web", 3);
        var policyFile = Path.Combine(server.Root, "web.yaml");
        await File.WriteAllTextAsync(policyFile, TestPolicies.Yaml("web", source, "0 0 3 * * ?"));

        var apply = await DrorchAsync(server.AdminKey, "--server", url, "policy", "apply", policyFile);
        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Equal($"applied policy web (on {url})", apply.Stdout.Trim());
        var change = Assert.Single(await ServerSandbox.JsonAsync<List<PolicyChangeDto>>(await server.Operator().GetAsync("/api/policies/web/changes")));
        Assert.Equal(("created", "alice"), (change.Kind, change.ChangedBy)); // recorded as the key's name, not "cli"

        var list = await DrorchAsync(server.OperatorKey, "--server", url, "policy", "list", "--json");
        Assert.Equal(["web"], JsonSerializer.Deserialize<List<PolicyDto>>(list.Stdout, ContractJson.Options)!.Select(p => p.Name));

        var backup = await DrorchAsync(server.OperatorKey, "--server", url, "backup", "web");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Matches(@"^backup web: succeeded \(job \S+, run \d+\): 1 snapshot\(s\), 3 files", backup.Stdout.Trim());

        var snapshots = await DrorchAsync(server.OperatorKey, "--server", url, "snapshots", "web", "--json");
        var snapshot = Assert.Single(JsonSerializer.Deserialize<List<SnapshotListItem>>(snapshots.Stdout, ContractJson.Options)!);
        var fromApi = Assert.Single(await ServerSandbox.JsonAsync<List<SnapshotListItem>>(await server.Operator().GetAsync("/api/snapshots?policy=web")));
        Assert.Equal((fromApi.Id, 3L), (snapshot.Id, snapshot.Files));

        var runs = await DrorchAsync(server.OperatorKey, "--server", url, "runs", "web");
        Assert.True(runs.ExitCode == 0, runs.ToString());
        Assert.Contains($"web              backup   succeeded", runs.Stdout, StringComparison.Ordinal);
        Assert.Contains(snapshot.Id[..8], runs.Stdout, StringComparison.Ordinal);

        // The destination is a folder under the service's Server:RestoreRoot; every file comes back byte for byte.
        var restore = await DrorchAsync(server.OperatorKey, "--server", url, "restore", "web", "--to", "r1");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.StartsWith("restore web: succeeded", restore.Stdout, StringComparison.Ordinal);
        var restored = Directory.GetFiles(Path.Combine(server.Root, "restores", "r1"), "*", SearchOption.AllDirectories);
        Assert.Equal(3, restored.Length);
        Assert.All(restored, f => Assert.Equal(Sha256(Path.Combine(source, Path.GetFileName(f))), Sha256(f)));
    }

    [Fact]
    public async Task Status_through_the_service_prints_what_the_local_command_prints_and_exits_alike()
    {
        await using var server = await ServerSandbox.StartAsync();
        var url = server.BaseAddress.ToString();
        var source = server.Source("web", 2);
        var policyFile = Path.Combine(server.Root, "two.yaml");
        await File.WriteAllTextAsync(policyFile, TestPolicies.Yaml("web", source, "0 0 3 * * ?") + "\n---\n" + TestPolicies.Yaml("idle", source, "0 0 4 * * ?"));
        Assert.Equal(0, (await DrorchAsync(server.AdminKey, "--server", url, "policy", "apply", policyFile)).ExitCode);
        var backup = await DrorchAsync(server.OperatorKey, "--server", url, "backup", "web");
        Assert.True(backup.ExitCode == 0, backup.ToString());

        // "web" has its snapshot (within its 24 h RPO); "idle" has none: outside, so exit 1 — in both places.
        var remote = await DrorchAsync(server.OperatorKey, "--server", url, "status", "--json");
        var local = await DrorchAsync(null, "--config", server.ConfigPath, "status", "--json");
        Assert.True((remote.ExitCode, local.ExitCode) == (1, 1), $"remote {remote}\nlocal {local}");
        var remoteRows = JsonSerializer.Deserialize<List<ObjectiveStatusInfo>>(remote.Stdout, ContractJson.Options)!;
        var localRows = JsonSerializer.Deserialize<List<ObjectiveStatusInfo>>(local.Stdout, ContractJson.Options)!;
        Assert.Equal([("idle", "rpo", false), ("web", "ok", true)], remoteRows.Select(r => (r.Policy, r.State, r.WithinObjectives)));
        // Equal but for what moves with the clock between the two calls (exposure and compliance).
        Assert.Equal(localRows.Select(Timeless), remoteRows.Select(Timeless));
        Assert.InRange(remoteRows[1].ExposureSeconds!.Value - localRows[1].ExposureSeconds!.Value, -60, 60);

        var remoteTable = await DrorchAsync(server.OperatorKey, "--server", url, "status", "web", "--html", Path.Combine(server.Root, "web.html"));
        var localTable = await DrorchAsync(null, "--config", server.ConfigPath, "status", "web");
        Assert.Equal((0, 0), (remoteTable.ExitCode, localTable.ExitCode));
        var (remoteLines, localLines) = (remoteTable.Stdout.Trim().Split('\n'), localTable.Stdout.Trim().Split('\n'));
        Assert.Equal(3, remoteLines.Length);
        Assert.Equal((localLines[0], localLines[2]), (remoteLines[0], remoteLines[2])); // header, "all within objectives"
        Assert.Equal(localLines[1][..30], remoteLines[1][..30]); // policy, target, state, RPO
        Assert.Contains("web", await File.ReadAllTextAsync(Path.Combine(server.Root, "web.html")), StringComparison.Ordinal);

        var unknown = await DrorchAsync(server.OperatorKey, "--server", url, "status", "nothing-here");
        Assert.Equal((2, "drorch: error: unknown policy 'nothing-here' (known: idle, web)"), (unknown.ExitCode, unknown.Stderr.Trim()));
        var unknownLocally = await DrorchAsync(null, "--config", server.ConfigPath, "status", "nothing-here");
        Assert.Equal((2, unknown.Stderr.Trim()), (unknownLocally.ExitCode, unknownLocally.Stderr.Trim()));
    }

    private static ObjectiveStatusInfo Timeless(ObjectiveStatusInfo row) =>
        row with { ExposureSeconds = null, Compliance24h = 0, Compliance7d = 0, Compliance30d = 0 };

    [Fact]
    public async Task Refusals_of_the_service_and_of_the_client_are_one_line_with_the_exit_code_of_the_local_command()
    {
        await using var server = await ServerSandbox.StartAsync();
        var url = server.BaseAddress.ToString();
        var invalid = Path.Combine(server.Root, "bad.yaml");
        await File.WriteAllTextAsync(invalid, TestPolicies.Yaml("bad", server.Root, "0 0 0 30 2 ?")); // never fires

        var refused = await DrorchAsync(server.AdminKey, "--server", url, "policy", "apply", invalid);
        Assert.Equal(2, refused.ExitCode);
        Assert.Matches(@"^drorch: error: bad\.yaml:\d+: schedule\.cron: '0 0 0 30 2 \?' never fires", refused.Stderr.Trim());

        var operatorApply = await DrorchAsync(server.OperatorKey, "--server", url, "policy", "apply", invalid);
        Assert.Equal((2, $"drorch: error: {url}: the key in DRORCH_API_KEY may not POST /api/policies?file=bad.yaml (403: needs the admin role)"), (operatorApply.ExitCode, operatorApply.Stderr.Trim()));

        var wrongKey = await DrorchAsync("not-a-key", "--server", url, "snapshots");
        Assert.Equal((2, $"drorch: error: {url}: the key in DRORCH_API_KEY was not accepted (401)"), (wrongKey.ExitCode, wrongKey.Stderr.Trim()));

        var noKey = await DrorchAsync(null, "--server", url, "snapshots");
        Assert.Equal((2, "drorch: error: --server: set DRORCH_API_KEY to an API key of the service"), (noKey.ExitCode, noKey.Stderr.Trim()));

        var missing = await DrorchAsync(server.OperatorKey, "--server", url, "backup", "nothing-here");
        Assert.Equal((2, "drorch: error: unknown policy 'nothing-here' (known: none)"), (missing.ExitCode, missing.Stderr.Trim()));

        var local = await DrorchAsync(server.OperatorKey, "--server", url, "check", "local");
        Assert.Equal((2, "drorch: error: --server: `drorch check` runs only where the data is; run it on a node"), (local.ExitCode, local.Stderr.Trim()));

        var notUrl = await DrorchAsync(server.OperatorKey, "--server", "ftp://x", "snapshots");
        Assert.Equal((2, "drorch: error: --server: 'ftp://x' is not an http(s) URL (e.g. http://127.0.0.1:8080)"), (notUrl.ExitCode, notUrl.Stderr.Trim()));
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
