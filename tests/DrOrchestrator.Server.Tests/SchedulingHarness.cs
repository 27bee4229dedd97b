using System.Collections.Concurrent;
using DrOrchestrator.Catalog;
using DrOrchestrator.Catalog.Configuration;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Server.Configuration;
using DrOrchestrator.Server.Scheduling;
using DrOrchestrator.Server.Work;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Server.Tests;

/// <summary>A work queue that only records what was enqueued.</summary>
internal sealed class RecordingWorkQueue : IWorkQueue
{
    private int _backupJobs;

    /// <summary>A policy whose backup enqueue throws (a queue that fails mid-batch).</summary>
    public string? FailFor { get; set; }

    /// <summary>Which fire each returned job id was enqueued for.</summary>
    public ConcurrentDictionary<string, long?> FireOfJob { get; } = new();

    public ConcurrentQueue<(string Policy, long? FireId)> Backups { get; } = new();

    /// <summary>Called with each backup job id and its fire once the job exists, before the enqueue returns (a job that starts at once).</summary>
    public Action<string, long?>? Enqueued { get; set; }

    public string EnqueueBackup(string policy, long? fireId, string requestedBy)
    {
        if (policy == FailFor)
        {
            throw new InvalidOperationException($"enqueue of {policy} failed (test)");
        }

        Backups.Enqueue((policy, fireId));
        var job = "job-" + Interlocked.Increment(ref _backupJobs); // unique also when a batch enqueues concurrently
        FireOfJob[job] = fireId;
        Enqueued?.Invoke(job, fireId);
        return job;
    }

    public ConcurrentQueue<(string Policy, long? FireId)> Drills { get; } = new();

    public string EnqueueCopy(string policy, string requestedBy) => throw new InvalidOperationException("not expected");

    public string EnqueueDrill(string policy, long? fireId, string requestedBy)
    {
        Drills.Enqueue((policy, fireId));
        return "drill-job-" + Drills.Count;
    }

    public string EnqueueRestore(RestoreJobRequest request, string requestedBy) => throw new InvalidOperationException("not expected");

    public string EnqueuePrune(string policy, long? fireId, string requestedBy) => throw new InvalidOperationException("not expected");

    public bool Cancel(string jobId) => false;
}

/// <summary>A real SQLite catalog in a temp folder, a manual clock and the fire handler over a recording queue.</summary>
internal sealed class SchedulingHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly string _root;

    private SchedulingHarness(ServiceProvider services, string root, ManualTimeProvider clock)
    {
        _services = services;
        _root = root;
        Clock = clock;
    }

    public ManualTimeProvider Clock { get; }

    public RecordingWorkQueue Queue { get; } = new();

    public CatalogStore Catalog => _services.GetRequiredService<CatalogStore>();

    public static async Task<SchedulingHarness> CreateAsync(DateTimeOffset now, int graceSeconds)
    {
        var root = Directory.CreateTempSubdirectory("drorch-sched-").FullName;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Catalog:Provider"] = "Sqlite",
            ["Catalog:ConnectionString"] = $"Data Source={Path.Combine(root, "catalog.db")}",
        }).Build();
        var clock = new ManualTimeProvider(now);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddDrOrchestratorCatalog(configuration);
        var provider = services.BuildServiceProvider();
        var harness = new SchedulingHarness(provider, root, clock);
        await provider.GetRequiredService<CatalogMigrator>().MigrateAsync(CancellationToken.None);
        harness.Options = Microsoft.Extensions.Options.Options.Create(new ServerOptions { MisfireGraceSeconds = graceSeconds });
        return harness;
    }

    public IOptions<ServerOptions> Options { get; set; } = null!;

    /// <summary>The node's memory of the fires it claimed, shared by its handlers and catch-ups as on a real node.</summary>
    public KnownFires Known { get; } = new();

    public FireHandler Handler(IWorkQueue? queue = null) => new(Catalog, queue ?? Queue, Known, Clock, Options, NullLogger<FireHandler>.Instance);

    public FireCatchUp CatchUp() => new(Catalog, Handler(), Known, Clock);

    public StrandedFires Stranded() => new(Catalog, Handler(), Clock, NullLogger<StrandedFires>.Instance);

    /// <summary>Stores one daily-at-03:00 policy per name (the policies of a shared cron instant).</summary>
    public async Task ApplyDailyAtThreeAsync(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            await ApplyAsync(TestPolicies.Yaml(name, "/srv", "0 0 3 * * ?"));
        }
    }

    /// <summary>Stores a policy as `policy apply` would (its target registered first).</summary>
    public async Task<CatalogPolicy> ApplyAsync(string yaml)
    {
        var parsed = PolicyFileParser.Parse(new StringReader(yaml), "test.yaml");
        Assert.True(parsed.IsValid, string.Join("\n", parsed.Problems));
        await Catalog.UpsertTargetAsync(new CatalogTarget("local", "local", null), CancellationToken.None);
        await Catalog.UpsertPolicyAsync(parsed.Policies[0], PolicySerializer.Serialize(parsed.Policies[0]), "test", CancellationToken.None);
        return (await Catalog.GetPolicyAsync(parsed.Policies[0].Name, CancellationToken.None))!;
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // the OS cleans temp later
        }
    }
}
