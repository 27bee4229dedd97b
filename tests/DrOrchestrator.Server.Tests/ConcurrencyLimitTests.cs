using System.Net;
using DrOrchestrator.Server.Api;

namespace DrOrchestrator.Server.Tests;

/// <summary>Targets:X:MaxConcurrentRuns: jobs beyond the limit wait for a place on the target; they neither fail nor overlap.</summary>
public sealed class ConcurrencyLimitTests
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task Two_backups_to_a_target_limited_to_one_run_one_after_the_other_the_second_waiting_for_its_place()
    {
        await using var server = await ServerSandbox.StartAsync(settings =>
            ((Dictionary<string, string>)((Dictionary<string, object>)settings["Targets"])["local"])["MaxConcurrentRuns"] = "1");
        foreach (var name in new[] { "one", "two" })
        {
            Assert.Equal(HttpStatusCode.OK, (await server.ApplyAsync(TestPolicies.Yaml(name, SparseSource(server, name), "0 0 3 * * ?"), $"{name}.yaml")).StatusCode);
        }

        var jobs = new List<JobDto>();
        foreach (var name in new[] { "one", "two" })
        {
            jobs.Add(await ServerSandbox.JsonAsync<JobDto>(await server.Operator().PostAsync($"/api/policies/{name}/backup", null)));
        }

        // Follow both: at some moment one must be running while the other waits for the target.
        bool sawWaiting = false;
        var deadline = DateTime.UtcNow + JobTimeout;
        List<JobDto> now;
        do
        {
            Assert.True(DateTime.UtcNow < deadline, "the two backups did not finish in time");
            await Task.Delay(100);
            now = [];
            foreach (var job in jobs)
            {
                now.Add(await ServerSandbox.JsonAsync<JobDto>(await server.Operator().GetAsync($"/api/jobs/{job.JobId}")));
            }

            sawWaiting |= now.Any(j => j.Phase == "waiting for target local") && now.Any(j => j.Phase is "scanning" or "archiving");
        }
        while (now.Any(j => j.FinishedAt is null));

        Assert.All(now, j => Assert.Equal("succeeded", j.Phase));
        Assert.True(sawWaiting, "no job was ever seen waiting for the target while the other ran");
        // The two backups' runs; the orchestrator's own record (a systembackup run, decisions §61) is not one of them.
        var runs = (await ServerSandbox.JsonAsync<List<RunDto>>(await server.Operator().GetAsync("/api/runs")))
            .Where(r => r.Kind == "backup").OrderBy(r => r.StartedAt).ToList();
        Assert.Equal(2, runs.Count);
        Assert.True(runs[0].FinishedAt <= runs[1].StartedAt, $"runs overlapped: {runs[0].StartedAt:o}–{runs[0].FinishedAt:o} and {runs[1].StartedAt:o}–{runs[1].FinishedAt:o}");
    }

    /// <summary>Large sparse files: seconds of reading, almost nothing stored.</summary>
    private static string SparseSource(ServerSandbox server, string name)
    {
        var source = Path.Combine(server.Root, name);
        Directory.CreateDirectory(source);
        for (int i = 0; i < 24; i++)
        {
            using var file = File.Create(Path.Combine(source, $"sparse{i:D2}.bin"));
            file.SetLength(32L << 20);
        }

        return source;
    }
}
