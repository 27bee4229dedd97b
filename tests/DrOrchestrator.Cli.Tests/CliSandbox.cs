using System.Security.Cryptography;
using System.Text.Json;
using DrOrchestrator.Cli.Commands;
using DrOrchestrator.Cli.Console;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// A throw-away installation: a temp folder with its own appsettings.json (SQLite catalog, a local
/// target, a key in a uniquely named environment variable) in which `drorch` commands run in-process.
/// </summary>
public sealed class CliSandbox : IDisposable
{
    public CliSandbox(Action<Dictionary<string, object>>? configure = null, string? root = null, string? keyVariable = null)
    {
        Root = root ?? Directory.CreateTempSubdirectory("drorch-cli-").FullName;
        Directory.CreateDirectory(Root);
        _ownsRoot = root is null;
        KeyVariable = keyVariable ?? "DRORCH_TEST_KEY_" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();
        Environment.SetEnvironmentVariable(KeyVariable, "correct horse battery staple " + KeyVariable);
        var settings = new Dictionary<string, object>
        {
            ["Catalog"] = new Dictionary<string, string> { ["Provider"] = "Sqlite", ["ConnectionString"] = "Data Source=catalog.db" },
            ["RepositoryKey"] = new Dictionary<string, string> { ["EnvironmentVariable"] = KeyVariable },
            ["Targets"] = new Dictionary<string, object> { ["local"] = new Dictionary<string, string> { ["Type"] = "local", ["Path"] = "repo" } },
            ["Logging"] = new Dictionary<string, object> { ["LogLevel"] = new Dictionary<string, string> { ["Default"] = "Warning" } },
        };
        configure?.Invoke(settings);
        ConfigPath = Path.Combine(Root, "appsettings.json");
        File.WriteAllText(ConfigPath, JsonSerializer.Serialize(settings));
    }

    private readonly bool _ownsRoot;

    public string Root { get; }

    public string ConfigPath { get; }

    public string KeyVariable { get; }

    public string RepositoryPath => Path.Combine(Root, "repo");

    public string CatalogPath => Path.Combine(Root, "catalog.db");

    public async Task<CliRun> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var output = new CliOutput(stdout, stderr, interactive: false);
        string[] full = [.. args, "--config", ConfigPath];
        var exit = await CommandTree.Build(output).Parse(full).InvokeAsync();
        return new CliRun(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Writes a policy backing up <paramref name="sourceDirectory"/> to one primary, <paramref name="target"/>.</summary>
    public string WritePolicy(string name, string sourceDirectory, string extra = "", string target = "local")
    {
        var path = Path.Combine(Root, name + ".yaml");
        File.WriteAllText(path, $"""
            name: {name}
            sources:
              - type: files
                paths: ["{sourceDirectory}"]
            targets:
              - name: {target}
                role: primary
            schedule: {"{"} cron: "0 0 2 * * ?", timeZone: UTC {"}"}
            rpo: 24h
            rto: 1h
            retention: {"{"} keepLast: 7 {"}"}
            {extra}
            """);
        return path;
    }

    /// <summary>Writes and applies policy <paramref name="name"/> over <paramref name="sourceDirectory"/> with the given <c>targets:</c> YAML (hourly, RPO 1 h); it must succeed.</summary>
    public async Task ApplyTargetsPolicyAsync(string name, string sourceDirectory, string targets)
    {
        var path = Path.Combine(Root, name + ".yaml");
        File.WriteAllText(path, $"""
            name: {name}
            sources:
              - type: files
                paths: ["{sourceDirectory}"]
            {targets}
            schedule: {"{"} cron: "0 0 * * * ?", timeZone: UTC {"}"}
            rpo: 1h
            rto: 30m
            """);
        var apply = await RunAsync("policy", "apply", path);
        Assert.True(apply.ExitCode == 0, apply.ToString());
    }

    /// <summary>Writes and applies a policy over <paramref name="sourceDirectory"/> and backs it up once; both must succeed.</summary>
    public async Task ApplyAndBackUpAsync(string policy, string sourceDirectory)
    {
        var apply = await RunAsync("policy", "apply", WritePolicy(policy, sourceDirectory));
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var backup = await RunAsync("backup", policy);
        Assert.True(backup.ExitCode == 0, backup.ToString());
    }

    public void Dispose()
    {
        if (!_ownsRoot)
        {
            return;
        }

        Environment.SetEnvironmentVariable(KeyVariable, null);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by SQLite's pool on some runs; the OS cleans temp later.
        }
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}

public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}
