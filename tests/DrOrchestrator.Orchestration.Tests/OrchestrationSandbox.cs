using System.Security.Cryptography;
using System.Text.Json;
using DrOrchestrator.Catalog;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Monitoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Orchestration.Tests;

/// <summary>
/// The Orchestration services wired as a front door wires them (<c>AddDrOrchestratorOrchestration</c>
/// over a loaded appsettings.json), without the CLI: an SQLite catalog in a temp folder, migrated,
/// two in-memory targets (<c>main</c>, <c>offsite</c>, see <see cref="MemoryTargets"/>), a
/// repository key in a uniquely named environment variable, and a small source tree with known content.
/// </summary>
internal sealed class OrchestrationSandbox : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly string _keyVariable;

    private OrchestrationSandbox(string root, ServiceProvider services, string keyVariable, MemoryTargets targets)
    {
        Root = root;
        _services = services;
        _keyVariable = keyVariable;
        Targets = targets;
    }

    public string Root { get; }

    /// <summary>The object stores behind the targets, by target name.</summary>
    public MemoryTargets Targets { get; }

    /// <summary>The tree the policies back up (its folder name, "source", is what a restore recreates).</summary>
    public string Source => Path.Combine(Root, "source");

    /// <summary>Where drills make their sandboxes (configured as <c>Drill:Root: drills</c>, relative to the configuration file).</summary>
    public string DrillRoot => Path.Combine(Root, "drills");

    public CatalogStore Catalog => Get<CatalogStore>();

    /// <param name="time">The clock of every service (a fake one for RPO tests); the system clock when null.</param>
    /// <param name="configure">Adds or changes settings (e.g. the <c>Alerts</c> section) before the file is written.</param>
    public static async Task<OrchestrationSandbox> CreateAsync(TimeProvider? time = null, Action<Dictionary<string, object>>? configure = null)
    {
        var root = Directory.CreateTempSubdirectory("drorch-orch-").FullName;
        var keyVariable = "DRORCH_ORCH_TEST_KEY_" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();
        Environment.SetEnvironmentVariable(keyVariable, "orchestration test passphrase " + keyVariable);
        var settings = new Dictionary<string, object>
        {
            ["Catalog"] = new Dictionary<string, string> { ["Provider"] = "Sqlite", ["ConnectionString"] = "Data Source=catalog.db" },
            ["RepositoryKey"] = new Dictionary<string, string> { ["EnvironmentVariable"] = keyVariable },
            ["Drill"] = new Dictionary<string, string> { ["Root"] = "drills" },
            ["Targets"] = new Dictionary<string, object>
            {
                ["main"] = new Dictionary<string, string> { ["Type"] = MemoryTargets.TypeName },
                ["offsite"] = new Dictionary<string, string> { ["Type"] = MemoryTargets.TypeName },
                // Configured, but named by no policy: a restore must not read it unless asked to.
                ["stray"] = new Dictionary<string, string> { ["Type"] = MemoryTargets.TypeName },
            },
        };
        configure?.Invoke(settings);
        var configPath = Path.Combine(root, "appsettings.json");
        await File.WriteAllTextAsync(configPath, JsonSerializer.Serialize(settings));
        var configuration = ConfigurationLoader.Load(configPath);
        var targets = new MemoryTargets(configuration);
        var services = new ServiceCollection()
            .AddSingleton(time ?? TimeProvider.System)
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton(typeof(ILogger<>), typeof(NullLogger<>))
            .AddMemoryTargets(targets)
            .AddDrOrchestratorOrchestration(configuration)
            .AddDrOrchestratorMonitoring(configuration)
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var sandbox = new OrchestrationSandbox(root, services, keyVariable, targets);
        await sandbox.Get<CatalogMigrator>().MigrateAsync(CancellationToken.None);
        sandbox.WriteSourceTree();
        return sandbox;
    }

    public T Get<T>()
        where T : notnull => _services.GetRequiredService<T>();

    /// <summary>Writes and applies a policy over <see cref="Source"/>: primary <c>main</c>, replica <c>offsite</c>.</summary>
    public string WritePolicy(string name, string primary = "main", string replica = "offsite")
    {
        var path = Path.Combine(Root, name + ".yaml");
        File.WriteAllText(path, $$"""
            name: {{name}}
            sources:
              - type: files
                paths: ["{{Source}}"]
            targets:
              - name: {{primary}}
                role: primary
              - name: {{replica}}
                role: replica
            schedule: { cron: "0 0 2 * * ?", timeZone: UTC }
            rpo: 24h
            rto: 1h
            retention: { keepLast: 7 }
            """);
        return path;
    }

    /// <summary>Relative path → SHA-256 of every file under <paramref name="directory"/>.</summary>
    public static SortedDictionary<string, string> Hashes(string directory) =>
        new(Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(directory, f),
            f =>
            {
                using var stream = File.OpenRead(f);
                return Convert.ToHexString(SHA256.HashData(stream));
            }), StringComparer.Ordinal);

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        Environment.SetEnvironmentVariable(_keyVariable, null);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Root, recursive: true);
    }

    private void WriteSourceTree()
    {
        var random = new Random(12);
        Directory.CreateDirectory(Path.Combine(Source, "docs", "deep"));
        File.WriteAllText(Path.Combine(Source, "readme.txt"), "a small text file\n");
        File.WriteAllBytes(Path.Combine(Source, "empty.bin"), []);
        var large = new byte[3 * 1024 * 1024 + 17];
        random.NextBytes(large);
        File.WriteAllBytes(Path.Combine(Source, "docs", "large.bin"), large);
        var text = string.Join('\n', Enumerable.Range(0, 20_000).Select(i => $"line {i} of a compressible file"));
        File.WriteAllText(Path.Combine(Source, "docs", "deep", "notes.txt"), text);
    }
}
