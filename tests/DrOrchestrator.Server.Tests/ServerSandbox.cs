using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DrOrchestrator.Orchestration.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Server.Tests;

/// <summary>
/// A running `drorch serve` on a free loopback port over a throw-away installation: SQLite
/// catalog, a local target, a repository key and two API keys (admin, operator) in uniquely
/// named environment variables. Requests go over real HTTP.
/// </summary>
public sealed class ServerSandbox : IAsyncDisposable
{
    private readonly List<string> _variables = [];

    private ServerSandbox(string root)
    {
        Root = root;
    }

    public string Root { get; }

    public string ConfigPath => Path.Combine(Root, "appsettings.json");

    public WebApplication App { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public string AdminKey { get; } = "admin-" + Guid.NewGuid().ToString("N");

    public string OperatorKey { get; } = "operator-" + Guid.NewGuid().ToString("N");

    public static async Task<ServerSandbox> StartAsync(Action<Dictionary<string, object>>? configure = null)
    {
        var sandbox = new ServerSandbox(Directory.CreateTempSubdirectory("drorch-serve-").FullName);
        var suffix = Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();
        var repositoryKey = sandbox.Set("DRORCH_TEST_REPO_KEY_" + suffix, "correct horse battery staple " + suffix);
        var adminVariable = sandbox.Set("DRORCH_TEST_ADMIN_" + suffix, sandbox.AdminKey);
        var operatorVariable = sandbox.Set("DRORCH_TEST_OPERATOR_" + suffix, sandbox.OperatorKey);
        var settings = new Dictionary<string, object>
        {
            ["Catalog"] = new Dictionary<string, string> { ["Provider"] = "Sqlite", ["ConnectionString"] = "Data Source=catalog.db" },
            ["RepositoryKey"] = new Dictionary<string, string> { ["EnvironmentVariable"] = repositoryKey },
            ["Targets"] = new Dictionary<string, object> { ["local"] = new Dictionary<string, string> { ["Type"] = "local", ["Path"] = "repo" } },
            ["Server"] = new Dictionary<string, object>
            {
                ["PolicyPollSeconds"] = 1,
                ["ShutdownGraceSeconds"] = 5,
                ["ApiKeys"] = new object[]
                {
                    new Dictionary<string, string> { ["Name"] = "alice", ["Role"] = "Admin", ["EnvironmentVariable"] = adminVariable },
                    new Dictionary<string, string> { ["Name"] = "bob", ["Role"] = "Operator", ["EnvironmentVariable"] = operatorVariable },
                },
            },
            ["Logging"] = new Dictionary<string, object> { ["LogLevel"] = new Dictionary<string, string> { ["Default"] = "Warning" } },
        };
        configure?.Invoke(settings);
        await File.WriteAllTextAsync(sandbox.ConfigPath, JsonSerializer.Serialize(settings));
        await sandbox.StartServerAsync();
        return sandbox;
    }

    private async Task StartServerAsync()
    {
        App = await ServerHost.StartAsync(ConfigurationLoader.Load(ConfigPath), ["http://127.0.0.1:0"], CancellationToken.None);
        BaseAddress = new Uri(ServerHost.BoundAddresses(App).Single());
        App.Services.GetRequiredService<ILoggerFactory>().AddProvider(new RecentErrorLog());
    }

    /// <summary>Stops the service as SIGTERM does (the caller times it), keeping the installation.</summary>
    public async Task StopAsync()
    {
        await App.StopAsync();
    }

    /// <summary>Starts a new service process over the same installation (catalog, repository, keys).</summary>
    public async Task RestartAsync()
    {
        await App.DisposeAsync();
        await StartServerAsync();
    }

    private string Set(string variable, string value)
    {
        Environment.SetEnvironmentVariable(variable, value);
        _variables.Add(variable);
        return variable;
    }

    /// <summary>A client sending <paramref name="key"/> as a bearer token (none when null).</summary>
    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public HttpClient Admin() => Client(AdminKey);

    public HttpClient Operator() => Client(OperatorKey);

    /// <summary>A source folder with <paramref name="files"/> small files of distinct content.</summary>
    public string Source(string name, int files)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        for (int i = 0; i < files; i++)
        {
            File.WriteAllText(Path.Combine(path, $"file{i}.txt"), $"file {i} of {name}: " + new string((char)('a' + (i % 26)), 1000 + i));
        }

        return path;
    }

    public async Task<HttpResponseMessage> ApplyAsync(string yaml, string file = "policy.yaml") =>
        await Admin().PostAsync($"/api/policies?file={file}", new StringContent(yaml, Encoding.UTF8, "application/yaml"));

    /// <summary>
    /// Polls <paramref name="read"/> until <paramref name="done"/> holds; fails with the last value
    /// (and <paramref name="diagnostics"/>, e.g. the service's output) after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string what, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        var value = await read();
        while (!done(value))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{what}: not reached within {timeout.TotalSeconds:0} s; last value: {JsonSerializer.Serialize(value)}\n{diagnostics?.Invoke()}");
            }

            await Task.Delay(200);
            value = await read();
        }

        return value;
    }

    public static async Task<T> JsonAsync<T>(HttpResponseMessage response)
    {
        Assert.True(
            response.IsSuccessStatusCode,
            $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}{((int)response.StatusCode >= 500 ? "\nerrors logged by the service:\n" + RecentErrorLog.Text : "")}");
        return (await response.Content.ReadFromJsonAsync<T>(Json))!;
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async ValueTask DisposeAsync()
    {
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }

        foreach (var variable in _variables)
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
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
