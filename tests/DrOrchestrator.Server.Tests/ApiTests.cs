using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Server.Api;
using Microsoft.Extensions.DependencyInjection;

namespace DrOrchestrator.Server.Tests;

/// <summary>The REST API over real HTTP: the auth matrix, problem details, trigger → snapshot, cancel, live apply.</summary>
public sealed class ApiTests
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(90);

    public enum Need
    {
        Anyone,
        Operator,
        Admin,
    }

    /// <summary>Every endpoint, and the least role it needs.</summary>
    public static TheoryData<string, string, Need> Endpoints() => new()
    {
        { "GET", "/healthz", Need.Anyone },
        { "GET", "/readyz", Need.Anyone },
        { "GET", "/openapi/v1.json", Need.Anyone },
        { "GET", "/api/status", Need.Operator },
        { "GET", "/api/policies", Need.Operator },
        { "GET", "/api/policies/web", Need.Operator },
        { "GET", "/api/policies/web/changes", Need.Operator },
        { "POST", "/api/policies/validate", Need.Operator },
        { "POST", "/api/policies", Need.Admin },
        { "DELETE", "/api/policies/nothing-here", Need.Admin },
        { "POST", "/api/policies/web/backup", Need.Operator },
        { "POST", "/api/policies/web/copy", Need.Operator },
        { "POST", "/api/policies/web/restore", Need.Operator },
        { "POST", "/api/policies/web/prune", Need.Admin },
        { "GET", "/api/jobs", Need.Operator },
        { "GET", "/api/jobs/unknown", Need.Operator },
        { "POST", "/api/jobs/unknown/cancel", Need.Operator },
        { "GET", "/api/runs", Need.Operator },
        { "GET", "/api/fires", Need.Operator },
        { "GET", "/api/snapshots", Need.Operator },
        { "GET", "/hangfire", Need.Admin },
        { "GET", "/", Need.Operator },
        { "GET", "/metrics", Need.Operator },
    };

    [Fact]
    public async Task Every_endpoint_answers_401_without_a_key_403_to_a_role_too_low_and_serves_the_role_it_needs()
    {
        await using var server = await ServerSandbox.StartAsync();
        var source = server.Source("web", 3);
        Assert.Equal(HttpStatusCode.OK, (await server.ApplyAsync(TestPolicies.Yaml("web", source, "0 0 3 * * ?"))).StatusCode);
        var failures = new List<string>();
        foreach (var row in Endpoints())
        {
            var (method, path, need) = ((string)row[0], (string)row[1], (Need)row[2]);
            foreach (var (who, key) in new[] { ("nobody", (string?)null), ("unknown key", "not-a-key"), ("operator", server.OperatorKey), ("admin", server.AdminKey) })
            {
                var status = (await Send(server.Client(key), method, path, source)).StatusCode;
                var expected = Expected(need, who);
                if (expected is { } exact ? status != exact : status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    failures.Add($"{method} {path} as {who}: {(int)status}, expected {(expected is null ? "neither 401 nor 403" : (int)expected)}");
                }
            }
        }

        Assert.Empty(failures);
    }

    private static HttpStatusCode? Expected(Need need, string who) => (need, who) switch
    {
        (Need.Anyone, _) => null,
        (_, "nobody" or "unknown key") => HttpStatusCode.Unauthorized,
        (Need.Admin, "operator") => HttpStatusCode.Forbidden,
        _ => null,
    };

    private static Task<HttpResponseMessage> Send(HttpClient client, string method, string path, string source)
    {
        HttpContent? body = (method, path) switch
        {
            ("POST", "/api/policies" or "/api/policies/validate") => new StringContent(TestPolicies.Yaml("web", source, "0 0 3 * * ?"), Encoding.UTF8, "application/yaml"),
            ("POST", "/api/policies/web/restore") => JsonContent.Create(new RestoreRequestDto("matrix")),
            _ => null,
        };
        return client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = body });
    }

    [Fact]
    public async Task An_invalid_policy_is_refused_whole_with_problem_details_naming_file_line_and_field()
    {
        await using var server = await ServerSandbox.StartAsync();
        var source = server.Source("web", 1);
        var yaml = TestPolicies.Yaml("web", source, "0 0 3 * * ?").Replace("name: local", "name: nowhere", StringComparison.Ordinal)
            + "\n---\n" + TestPolicies.Yaml("other", source, "0 0 4 * * ?");

        var response = await server.ApplyAsync(yaml, "site.yaml");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("invalid policy", problem.RootElement.GetProperty("title").GetString());
        var lines = problem.RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();
        var line = Assert.Single(lines);
        Assert.Matches(new Regex(@"^site\.yaml:6: targets\[0\]\.name: .*nowhere"), line);
        // Nothing of the file was applied, not even its valid second policy.
        var policies = await ServerSandbox.JsonAsync<List<PolicyDto>>(await server.Operator().GetAsync("/api/policies"));
        Assert.Empty(policies);
    }

    [Fact]
    public async Task A_triggered_backup_completes_and_its_snapshot_is_listed_and_the_apply_is_recorded_by_key_name()
    {
        await using var server = await ServerSandbox.StartAsync();
        var source = server.Source("web", 5);
        Assert.Equal(HttpStatusCode.OK, (await server.ApplyAsync(TestPolicies.Yaml("web", source, "0 0 3 * * ?"))).StatusCode);

        var accepted = await server.Operator().PostAsync("/api/policies/web/backup", null);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var job = await ServerSandbox.JsonAsync<JobDto>(accepted);
        Assert.Equal(("backup", "web", "bob"), (job.Kind, job.Policy, job.RequestedBy));
        var done = await ServerSandbox.WaitForAsync(
            async () => await ServerSandbox.JsonAsync<JobDto>(await server.Operator().GetAsync($"/api/jobs/{job.JobId}")),
            j => j.FinishedAt is not null, JobTimeout, "backup job");

        Assert.Equal("succeeded", done.Phase);
        Assert.Equal(5, done.FilesDone);
        var snapshot = Assert.Single(await ServerSandbox.JsonAsync<List<SnapshotListItem>>(await server.Operator().GetAsync("/api/snapshots?policy=web")));
        Assert.Equal((5L, "local", "present"), (snapshot.Files, snapshot.Targets.Single().Name, snapshot.Targets.Single().Status));
        var fromTarget = Assert.Single(await ServerSandbox.JsonAsync<List<SnapshotListItem>>(await server.Operator().GetAsync("/api/snapshots?policy=web&target=local")));
        Assert.Equal(snapshot.Id, fromTarget.Id);
        var run = Assert.Single(await ServerSandbox.JsonAsync<List<RunDto>>(await server.Operator().GetAsync("/api/runs?policy=web")));
        Assert.Equal(("succeeded", done.RunId, snapshot.Id), (run.Status, (long?)run.Id, run.SnapshotId));
        var change = Assert.Single(await ServerSandbox.JsonAsync<List<PolicyChangeDto>>(await server.Operator().GetAsync("/api/policies/web/changes")));
        Assert.Equal(("created", "alice", null), (change.Kind, change.ChangedBy, change.YamlBefore));
        Assert.Contains("cron: 0 0 3 * * ?", change.YamlAfter, StringComparison.Ordinal);

        // Restore through the API into a folder under Server:RestoreRoot; every file comes back byte for byte.
        var restore = await ServerSandbox.JsonAsync<JobDto>(await server.Operator().PostAsJsonAsync("/api/policies/web/restore", new RestoreRequestDto("r1")));
        var restored = await ServerSandbox.WaitForAsync(
            async () => await ServerSandbox.JsonAsync<JobDto>(await server.Operator().GetAsync($"/api/jobs/{restore.JobId}")),
            j => j.FinishedAt is not null, JobTimeout, "restore job");
        Assert.Equal("succeeded", restored.Phase);
        var restoredFiles = Directory.GetFiles(Path.Combine(server.Root, "restores", "r1"), "*", SearchOption.AllDirectories);
        Assert.Equal(5, restoredFiles.Length);
        Assert.All(restoredFiles, f => Assert.Equal(Sha256(Path.Combine(source, Path.GetFileName(f))), Sha256(f)));
        var outside = await server.Operator().PostAsJsonAsync("/api/policies/web/restore", new RestoreRequestDto("../../etc"));
        Assert.Equal(HttpStatusCode.BadRequest, outside.StatusCode);
        Assert.Contains("outside Server:RestoreRoot", await outside.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Delete: unscheduled, gone from the API, recorded.
        Assert.Equal(HttpStatusCode.NoContent, (await server.Admin().DeleteAsync("/api/policies/web")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Operator().GetAsync("/api/policies/web")).StatusCode);
        Assert.Equal(("deleted", "alice"), (await ServerSandbox.JsonAsync<List<PolicyChangeDto>>(await server.Operator().GetAsync("/api/policies/web/changes"))).Select(c => (c.Kind, c.ChangedBy)).First());
        var scheduler = server.App.Services.GetRequiredService<DrOrchestrator.Server.Scheduling.PolicyScheduler>();
        await ServerSandbox.WaitForAsync(
            async () => await scheduler.NextFireAsync("web", DrOrchestrator.Catalog.RunKind.Backup, CancellationToken.None),
            next => next is null, TimeSpan.FromSeconds(15), "trigger removed");
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(stream));
    }

    [Fact]
    public async Task Cancelling_a_running_backup_records_the_run_cancelled_and_leaves_no_snapshot()
    {
        await using var server = await ServerSandbox.StartAsync();
        // Many large sparse files: reading them takes minutes, storing them almost nothing, and
        // progress (reported per file) shows early.
        const int Files = 400;
        const long FileSize = 32L << 20;
        var source = Path.Combine(server.Root, "big");
        Directory.CreateDirectory(source);
        for (int i = 0; i < Files; i++)
        {
            using var file = File.Create(Path.Combine(source, $"sparse{i:D3}.bin"));
            file.SetLength(FileSize);
        }

        Assert.Equal(HttpStatusCode.OK, (await server.ApplyAsync(TestPolicies.Yaml("big", source, "0 0 3 * * ?"))).StatusCode);
        var job = await ServerSandbox.JsonAsync<JobDto>(await server.Operator().PostAsync("/api/policies/big/backup", null));
        await ServerSandbox.WaitForAsync(
            async () => await ServerSandbox.JsonAsync<JobDto>(await server.Operator().GetAsync($"/api/jobs/{job.JobId}")),
            j => j.BytesDone > 0 || j.FinishedAt is not null, JobTimeout, "backup progress");

        var cancel = await server.Operator().PostAsync($"/api/jobs/{job.JobId}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var done = await ServerSandbox.WaitForAsync(
            async () => await ServerSandbox.JsonAsync<JobDto>(await server.Operator().GetAsync($"/api/jobs/{job.JobId}")),
            j => j.FinishedAt is not null, JobTimeout, "cancelled job");
        Assert.Equal("cancelled", done.Phase);
        Assert.True(done.FilesDone < Files, $"the backup read everything ({done.FilesDone} files) before the cancel took effect");
        var run = await ServerSandbox.WaitForAsync(
            async () => await ServerSandbox.JsonAsync<List<RunDto>>(await server.Operator().GetAsync("/api/runs?policy=big")),
            runs => runs.Count == 1 && runs[0].Status != "running", JobTimeout, "run recorded");
        Assert.Equal(("cancelled", null), (run[0].Status, run[0].SnapshotId));
        Assert.Empty(await ServerSandbox.JsonAsync<List<SnapshotListItem>>(await server.Operator().GetAsync("/api/snapshots?policy=big")));
        Assert.Empty(await ServerSandbox.JsonAsync<List<SnapshotListItem>>(await server.Operator().GetAsync("/api/snapshots?policy=big&target=local")));
        Assert.Equal(HttpStatusCode.Conflict, (await server.Operator().PostAsync($"/api/jobs/{job.JobId}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task A_changed_policy_moves_the_next_fire_and_an_invalid_change_keeps_the_previous_schedule_and_is_reported()
    {
        await using var server = await ServerSandbox.StartAsync();
        var source = server.Source("web", 1);
        var now = DateTimeOffset.UtcNow;
        DateTimeOffset NextAt(int hour) => new DateTimeOffset(now.Year, now.Month, now.Day, hour, 0, 0, TimeSpan.Zero) is var t && t > now ? t : t.AddDays(1);
        async Task<PolicyDto> GetAsync() => await ServerSandbox.JsonAsync<PolicyDto>(await server.Operator().GetAsync("/api/policies/web"));

        Assert.Equal(HttpStatusCode.OK, (await server.ApplyAsync(TestPolicies.Yaml("web", source, "0 0 3 * * ?"))).StatusCode);
        await ServerSandbox.WaitForAsync(GetAsync, p => p.NextBackupAt == NextAt(3), TimeSpan.FromSeconds(15), "first schedule");

        Assert.Equal(HttpStatusCode.OK, (await server.ApplyAsync(TestPolicies.Yaml("web", source, "0 0 4 * * ?"))).StatusCode);
        await ServerSandbox.WaitForAsync(GetAsync, p => p.NextBackupAt == NextAt(4), TimeSpan.FromSeconds(15), "changed schedule");

        // Refused by the API: the catalog keeps the 04:00 text and the scheduler its trigger.
        var refused = await server.ApplyAsync(TestPolicies.Yaml("web", source, "0 0 0 30 2 ?"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("policy.yaml:9: schedule.cron: '0 0 0 30 2 ?' never fires", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Stored behind the API's back (a CLI apply does not ask Quartz): the service refuses to
        // schedule it, keeps 04:00 and reports why.
        await using (var scope = server.App.Services.CreateAsyncScope())
        {
            var catalog = scope.ServiceProvider.GetRequiredService<DrOrchestrator.Catalog.CatalogStore>();
            var policy = DrOrchestrator.Core.Policies.PolicyFileParser.Parse(new StringReader(TestPolicies.Yaml("web", source, "0 0 0 30 2 ?")), "cli.yaml").Policies.Single();
            await catalog.UpsertPolicyAsync(policy, DrOrchestrator.Core.Policies.PolicySerializer.Serialize(policy), "cli", CancellationToken.None);
        }

        var reported = await ServerSandbox.WaitForAsync(GetAsync, p => p.ScheduleProblem is not null, TimeSpan.FromSeconds(15), "schedule problem");
        Assert.Equal(NextAt(4), reported.NextBackupAt);
        Assert.Contains("never fires", reported.ScheduleProblem, StringComparison.Ordinal);
        var status = await server.Operator().GetStringAsync("/api/status");
        Assert.Contains("never fires", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_policy_firing_every_few_seconds_runs_scheduled_backups_each_recorded_once()
    {
        await using var server = await ServerSandbox.StartAsync();
        var source = server.Source("tick", 2);
        Assert.Equal(HttpStatusCode.OK, (await server.ApplyAsync(TestPolicies.Yaml("tick", source, "0/3 * * * * ?"))).StatusCode);

        var fires = await ServerSandbox.WaitForAsync(
            async () => await ServerSandbox.JsonAsync<List<FireDto>>(await server.Operator().GetAsync("/api/fires?policy=tick")),
            f => f.Count(x => x.Kind == "backup" && x.Status == "done" && x.Detail == "succeeded") >= 2, JobTimeout, "two scheduled runs done");
        var runs = await ServerSandbox.JsonAsync<List<RunDto>>(await server.Operator().GetAsync("/api/runs?policy=tick"));

        // The first backup is followed by the policy's prune (a fire of kind prune at the same instant, §56):
        // the backup fires and runs are what this test counts.
        fires = [.. fires.Where(f => f.Kind == "backup")];
        runs = [.. runs.Where(r => r.Kind == "backup")];

        // One fire per due instant (every 3 s), each fire's job recorded once; runs never overlap.
        Assert.Equal(fires.Count, fires.Select(f => f.ScheduledAt).Distinct().Count());
        Assert.All(fires, f => Assert.Equal(0, f.ScheduledAt.Second % 3));
        Assert.Equal(fires.Count(f => f.JobId is not null), fires.Where(f => f.JobId is not null).Select(f => f.JobId).Distinct().Count());
        Assert.True(runs.Count(r => r.Status == "succeeded") >= 2, JsonSerializer.Serialize(runs));
        Assert.All(runs.Where(r => r.Status == "succeeded"), r => Assert.Equal(2, r.Files));
    }
}
