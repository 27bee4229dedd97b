using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DrOrchestrator.Catalog;
using DrOrchestrator.Orchestration;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Extensions.DependencyInjection;

namespace DrOrchestrator.Server.Tests.Cluster;

/// <summary>
/// A cluster installation: one fresh database on the test PostgreSQL as the catalog (so also the
/// schedule and the work queue), one local target every node writes to, an admin API key, and
/// `drorch serve` nodes started as real processes over that one configuration file. The test
/// reads the catalog itself, through the same Orchestration services the nodes use.
/// </summary>
public sealed class ClusterSandbox : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _environment = new(StringComparer.Ordinal);
    private readonly List<ServeNode> _nodes = [];
    private ServiceProvider? _services;

    private ClusterSandbox(string root)
    {
        Root = root;
    }

    public string Root { get; }

    public string ConfigPath => Path.Combine(Root, "appsettings.json");

    public string AdminKey { get; } = "admin-" + Guid.NewGuid().ToString("N");

    public IReadOnlyList<ServeNode> Nodes => _nodes;

    public static async Task<ClusterSandbox> CreateAsync(PostgresServerFixture postgres, Action<Dictionary<string, object>>? configure = null)
    {
        var sandbox = new ClusterSandbox(Directory.CreateTempSubdirectory("drorch-cluster-").FullName);
        var suffix = Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();
        var repositoryKey = sandbox.Set("DRORCH_TEST_REPO_KEY_" + suffix, "cluster key " + suffix);
        var adminVariable = sandbox.Set("DRORCH_TEST_ADMIN_" + suffix, sandbox.AdminKey);
        sandbox.Set(PostgresServerFixture.PasswordVariable, Environment.GetEnvironmentVariable(PostgresServerFixture.PasswordVariable)!, own: false);
        var settings = new Dictionary<string, object>
        {
            ["Catalog"] = new Dictionary<string, string>
            {
                ["Provider"] = "Postgres",
                ["ConnectionString"] = postgres.ConnectionString(await postgres.CreateDatabaseAsync()),
                ["PasswordEnvironmentVariable"] = PostgresServerFixture.PasswordVariable,
            },
            ["RepositoryKey"] = new Dictionary<string, string> { ["EnvironmentVariable"] = repositoryKey },
            ["Targets"] = new Dictionary<string, object> { ["local"] = new Dictionary<string, string> { ["Type"] = "local", ["Path"] = "repo" } },
            ["Server"] = new Dictionary<string, object>
            {
                ["PolicyPollSeconds"] = 1,
                ["RpoCheckSeconds"] = 5,
                ["ShutdownGraceSeconds"] = 5,
                ["ClusterCheckinSeconds"] = 2,
                ["JobInvisibilityTimeoutSeconds"] = 10,
                ["ApiKeys"] = new object[] { new Dictionary<string, string> { ["Name"] = "alice", ["Role"] = "Admin", ["EnvironmentVariable"] = adminVariable } },
            },
            ["Logging"] = new Dictionary<string, object>
            {
                ["LogLevel"] = new Dictionary<string, string> { ["Default"] = "Warning", ["DrOrchestrator"] = "Information", ["Microsoft.EntityFrameworkCore"] = "None" },
            },
        };
        configure?.Invoke(settings);
        await File.WriteAllTextAsync(sandbox.ConfigPath, JsonSerializer.Serialize(settings));
        return sandbox;
    }

    private string Set(string variable, string value, bool own = true)
    {
        if (own)
        {
            Environment.SetEnvironmentVariable(variable, value);
        }

        _environment[variable] = value;
        return variable;
    }

    /// <summary>Starts one more `drorch serve` process over this installation.</summary>
    public async Task<ServeNode> StartNodeAsync()
    {
        var node = await ServeNode.StartAsync(ConfigPath, _environment);
        _nodes.Add(node);
        return node;
    }

    public HttpClient Admin(ServeNode node)
    {
        var client = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    public async Task ApplyAsync(ServeNode node, string yaml)
    {
        var response = await Admin(node).PostAsync("/api/policies?file=policy.yaml", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Runs <paramref name="read"/> against the catalog (a fresh scope each time: no cached rows).</summary>
    public async Task<T> CatalogAsync<T>(Func<CatalogStore, Task<T>> read)
    {
        await using var scope = Services().CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<CatalogStore>());
    }

    /// <summary>The ids of the policies' snapshots the local target's repository holds (what a restore could see; the orchestrator's own records left out).</summary>
    public async Task<HashSet<string>> SnapshotIdsOnTargetAsync()
    {
        await using var scope = Services().CreateAsyncScope();
        await using var repository = await scope.ServiceProvider.GetRequiredService<RepositoryAccess>().OpenAsync("local", CancellationToken.None);
        return [.. (await repository.ListSnapshotsAsync(CancellationToken.None)).Where(s => !Core.Repository.SystemRecords.IsRecord(s)).Select(s => s.Id)];
    }

    private ServiceProvider Services() =>
        _services ??= new ServiceCollection().AddDrOrchestratorOrchestration(ConfigurationLoader.Load(ConfigPath)).BuildServiceProvider();

    /// <summary>A folder of <paramref name="files"/> files of <paramref name="size"/> random bytes each.</summary>
    public string Source(string name, int files, int size)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        var buffer = new byte[size];
        for (int i = 0; i < files; i++)
        {
            RandomNumberGenerator.Fill(buffer);
            File.WriteAllBytes(Path.Combine(path, $"file{i:D3}.bin"), buffer);
        }

        return path;
    }

    /// <summary>What the nodes printed, for a failure message.</summary>
    public string Output => string.Join("\n", _nodes.Select((n, i) => $"--- node {i} (pid {n.ProcessId}{(n.HasExited ? ", exited" : "")}):\n{n.Output}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        foreach (var variable in _environment.Keys.Where(v => v != PostgresServerFixture.PasswordVariable))
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // the OS cleans temp later
        }
    }
}
