using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DrOrchestrator.Catalog;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Policies;
using DrOrchestrator.Server;
using DrOrchestrator.Server.Scheduling;
using DrOrchestrator.Server.Work;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;

// drorch-serve-load DIR POLICIES MINUTES [postgres CONNECTION PASSWORD_VARIABLE]
//
// Runs the real service (ServerHost: Quartz, FireHandler's catalog claim, Hangfire, the RPO and
// monitoring watchdogs) over a fresh installation in DIR with POLICIES policies whose backup cron
// fires every minute at second 0. Only the work is replaced: the work queue enqueues a Hangfire
// job that records when it started and does nothing else (no source read, no repository, no
// catalog write of its own). Measures, over MINUTES whole minutes: fire-to-enqueue and
// fire-to-start latency (from the fire's due instant), fires missed (due instants without a
// started job), the process's CPU time and RSS. Prints one JSON object.
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: DIR POLICIES MINUTES [postgres CONNECTION PASSWORD_VARIABLE]");
    return 2;
}

var dir = Path.GetFullPath(args[0]);
int policyCount = int.Parse(args[1], CultureInfo.InvariantCulture);
int minutes = int.Parse(args[2], CultureInfo.InvariantCulture);
bool postgres = args.Length > 3 && args[3] == "postgres";
Directory.CreateDirectory(dir);
Directory.CreateDirectory(Path.Combine(dir, "empty-source"));
Environment.SetEnvironmentVariable("DRORCH_BENCH_REPO_KEY", "bench-not-a-secret");
var catalog = postgres
    ? (object)new Dictionary<string, string> { ["Provider"] = "Postgres", ["ConnectionString"] = args[4], ["PasswordEnvironmentVariable"] = args[5] }
    : new Dictionary<string, string> { ["Provider"] = "Sqlite", ["ConnectionString"] = "Data Source=catalog.db" };
var settings = new Dictionary<string, object>
{
    ["Catalog"] = catalog,
    ["RepositoryKey"] = new Dictionary<string, string> { ["EnvironmentVariable"] = "DRORCH_BENCH_REPO_KEY" },
    ["Targets"] = new Dictionary<string, object> { ["local"] = new Dictionary<string, string> { ["Type"] = "local", ["Path"] = "repo" } },
    ["Server"] = new Dictionary<string, object> { ["Urls"] = new[] { "http://127.0.0.1:0" } },
    ["Logging"] = new Dictionary<string, object>
    {
        // FireIntake at Debug: one line per batch saying where a burst's latency went (not one per fire).
        ["LogLevel"] = new Dictionary<string, string> { ["Default"] = "Warning", ["Microsoft.EntityFrameworkCore"] = "None", ["DrOrchestrator.Server.Scheduling.FireIntake"] = "Debug" },
    },
};
var configPath = Path.Combine(dir, "appsettings.json");
await File.WriteAllTextAsync(configPath, JsonSerializer.Serialize(settings));
var policies = new StringBuilder();
for (int i = 0; i < policyCount; i++)
{
    policies.Append(i == 0 ? "" : "---\n").Append(CultureInfo.InvariantCulture, $"""
        name: p{i:D4}
        sources: [{"{"} type: files, paths: ["{Path.Combine(dir, "empty-source")}"] {"}"}]
        targets: [{"{"} name: local, role: primary {"}"}]
        schedule: {"{"} cron: "0 * * * * ?", timeZone: UTC {"}"}
        rpo: 1h
        rto: 1h

        """);
}

var policyFile = Path.Combine(dir, "policies.yaml");
await File.WriteAllTextAsync(policyFile, policies.ToString());

var app = await ServerHost.StartAsync(ConfigurationLoader.Load(configPath), null, services =>
{
    services.AddSingleton<NoOpWorkQueue>();
    services.AddSingleton<IWorkQueue>(sp => sp.GetRequiredService<NoOpWorkQueue>());
}, CancellationToken.None);
await using (app)
{
    await using (var scope = app.Services.CreateAsyncScope())
    {
        await scope.ServiceProvider.GetRequiredService<PolicyApplyService>().ApplyAsync(policyFile, CancellationToken.None);
    }

    // Let the service schedule every policy (it polls the catalog every 2 s; on the clustered
    // Quartz store 1,000 policies are minutes of transactions on a loaded host), then measure
    // whole minutes: the figures are for firing, not for applying.
    var scheduler = app.Services.GetRequiredService<PolicyScheduler>();
    var applying = Stopwatch.StartNew();
    while (scheduler.States.Values.Count(s => s.RunningSha256 is not null) < policyCount)
    {
        await Task.Delay(TimeSpan.FromSeconds(1));
    }

    var scheduledSeconds = Math.Round(applying.Elapsed.TotalSeconds, 1);
    var now = DateTimeOffset.UtcNow;
    var first = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(now.Second < 30 ? 1 : 2);
    var windowStart = first.AddSeconds(-30);
    var windowEnd = first.AddMinutes(minutes - 1).AddSeconds(30);
    await Task.Delay(windowStart - DateTimeOffset.UtcNow);
    var process = Process.GetCurrentProcess();
    process.Refresh();
    var cpuStart = process.TotalProcessorTime;
    var rss = new List<long>();
    while (DateTimeOffset.UtcNow < windowEnd)
    {
        process.Refresh();
        rss.Add(process.WorkingSet64);
        await Task.Delay(TimeSpan.FromSeconds(1));
    }

    process.Refresh();
    var cpu = process.TotalProcessorTime - cpuStart;
    var wall = windowEnd - windowStart;
    await Task.Delay(TimeSpan.FromSeconds(5)); // stragglers of the last fire are counted late, not missed

    var dues = Enumerable.Range(0, minutes).Select(m => first.AddMinutes(m)).ToHashSet();
    List<ScheduledFireRecord> fires;
    await using (var scope = app.Services.CreateAsyncScope())
    {
        fires = [.. (await scope.ServiceProvider.GetRequiredService<CatalogStore>().ListFiresAsync(null, null, CancellationToken.None))
            .Where(f => dues.Contains(f.ScheduledAt))];
    }

    var queue = app.Services.GetRequiredService<NoOpWorkQueue>();
    var toEnqueue = new List<double>();
    var toStart = new List<double>();
    foreach (var fire in fires)
    {
        if (queue.Enqueued.TryGetValue(fire.Id, out var enqueued))
        {
            toEnqueue.Add((enqueued - fire.ScheduledAt).TotalMilliseconds);
        }

        if (NoOpJob.Started.TryGetValue(fire.Id, out var started))
        {
            toStart.Add((started - fire.ScheduledAt).TotalMilliseconds);
        }
    }

    int expected = policyCount * minutes;
    var result = new
    {
        catalog = postgres ? "postgres" : "sqlite",
        policies = policyCount,
        minutes,
        firstDue = first,
        secondsToScheduleAll = scheduledSeconds,
        expectedFires = expected,
        firesClaimed = fires.Count,
        firesRecordedMissed = fires.Count(f => f.Status == FireStatus.Missed),
        jobsStarted = toStart.Count,
        missedFires = expected - toStart.Count,
        enqueueMs = Percentiles(toEnqueue),
        startMs = Percentiles(toStart),
        cpuSeconds = Math.Round(cpu.TotalSeconds, 2),
        wallSeconds = Math.Round(wall.TotalSeconds, 1),
        cpuShareOfOneCore = Math.Round(cpu.TotalSeconds / wall.TotalSeconds, 4),
        rssMedianMiB = Math.Round(Median(rss) / 1048576.0, 1),
        rssMaxMiB = Math.Round(rss.Max() / 1048576.0, 1),
        peakWorkingSetMiB = Math.Round(process.PeakWorkingSet64 / 1048576.0, 1),
        loadAverage = File.ReadAllText("/proc/loadavg").Trim(),
    };
    Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
    await app.StopAsync();
}

return 0;

static object Percentiles(List<double> values)
{
    if (values.Count == 0)
    {
        return new { count = 0 };
    }

    values.Sort();
    double At(double p) => Math.Round(values[Math.Min(values.Count - 1, (int)Math.Ceiling(p * values.Count) - 1)], 1);
    return new { count = values.Count, p50 = At(0.50), p90 = At(0.90), p99 = At(0.99), max = Math.Round(values[^1], 1) };
}

static double Median(List<long> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];
}

/// <summary>The work queue with the work taken out: a Hangfire job per fire that only records when it started.</summary>
public sealed class NoOpWorkQueue(IBackgroundJobClient client) : IWorkQueue
{
    public ConcurrentDictionary<long, DateTimeOffset> Enqueued { get; } = new();

    public string EnqueueBackup(string policy, long? fireId, string requestedBy)
    {
        var id = fireId ?? -1;
        var job = client.Enqueue<NoOpJob>(j => j.Run(id));
        Enqueued[id] = DateTimeOffset.UtcNow;
        return job;
    }

    public string EnqueueCopy(string policy, string requestedBy) => throw new NotSupportedException();

    public string EnqueueDrill(string policy, long? fireId, string requestedBy) => throw new NotSupportedException();

    public string EnqueuePrune(string policy, long? fireId, string requestedBy) => throw new NotSupportedException();

    public string EnqueueRestore(RestoreJobRequest request, string requestedBy) => throw new NotSupportedException();

    public bool Cancel(string jobId) => false;
}

/// <summary>The no-op job: its start is the "start" of fire-to-start.</summary>
public sealed class NoOpJob
{
    public static ConcurrentDictionary<long, DateTimeOffset> Started { get; } = new();

    public void Run(long fireId) => Started[fireId] = DateTimeOffset.UtcNow;
}
