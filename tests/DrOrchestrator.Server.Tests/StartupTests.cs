using System.Text.Json;
using DrOrchestrator.Cli.Commands;
using DrOrchestrator.Cli.Console;

namespace DrOrchestrator.Server.Tests;

/// <summary>`drorch serve` refuses a bad configuration before it listens: one clear line per problem, exit 2.</summary>
public sealed class StartupTests
{
    [Theory]
    [InlineData("WorkStorage", "Redis", "Server:WorkStorage: 'Redis' is not supported (use Auto, InMemory or Postgres)")]
    [InlineData("WorkStorage", "Postgres", "Server:WorkStorage: 'Postgres' needs Catalog:Provider Postgres (it is 'Sqlite'); the schedule and the work queue live in the catalog's database")]
    [InlineData("JobInvisibilityTimeoutSeconds", "0", "Server:JobInvisibilityTimeoutSeconds: 0 must be at least 1")]
    [InlineData("MaxConcurrentRuns", "none", "Targets:local:MaxConcurrentRuns: 'none' must be a whole number of at least 1 (leave it out for no limit)")]
    [InlineData("Urls", "ftp://0.0.0.0:21", "Server:Urls:0: 'ftp://0.0.0.0:21' is not an http(s) URL")]
    [InlineData("Urls", "https://127.0.0.1:8443", "Server:Urls:0: 'https://127.0.0.1:8443' is https but Server:CertificateFile is not set")]
    [InlineData("MisfireGraceSeconds", "0", "Server:MisfireGraceSeconds: 0 must be at least 1")]
    [InlineData("FireHistoryDays", "0", "Server:FireHistoryDays: 0 must be at least 1")]
    [InlineData("ApiKeys", "missing-variable", "API key 'ops': environment variable DRORCH_TEST_UNSET_KEY_4711 is not set")]
    [InlineData("ApiKeys", "key-in-config", "Server:ApiKeys:0: set exactly one of EnvironmentVariable, File, Sha256 (the key is never written in the configuration)")]
    public async Task A_bad_server_setting_stops_start_up_with_one_line_and_exit_2(string key, string value, string expected)
    {
        var root = Directory.CreateTempSubdirectory("drorch-start-").FullName;
        try
        {
            object setting = (key, value) switch
            {
                ("Urls", _) => new[] { value },
                ("ApiKeys", "missing-variable") => new[] { new Dictionary<string, string> { ["Name"] = "ops", ["Role"] = "Operator", ["EnvironmentVariable"] = "DRORCH_TEST_UNSET_KEY_4711" } },
                ("ApiKeys", _) => new[] { new Dictionary<string, string> { ["Name"] = "ops", ["Role"] = "Operator" } },
                _ => value,
            };
            var config = Path.Combine(root, "appsettings.json");
            await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["Catalog"] = new Dictionary<string, string> { ["Provider"] = "Sqlite", ["ConnectionString"] = "Data Source=catalog.db" },
                ["Targets"] = new Dictionary<string, object>
                {
                    ["local"] = key == "MaxConcurrentRuns"
                        ? new Dictionary<string, string> { ["Type"] = "local", ["Path"] = "repo", [key] = value }
                        : new Dictionary<string, string> { ["Type"] = "local", ["Path"] = "repo" },
                },
                ["Server"] = key == "MaxConcurrentRuns"
                    ? new Dictionary<string, object> { ["Urls"] = new[] { "http://127.0.0.1:0" } }
                    : new Dictionary<string, object> { [key] = setting, ["Urls"] = key == "Urls" ? setting : new[] { "http://127.0.0.1:0" } },
            }));
            var stdout = new StringWriter();
            var stderr = new StringWriter();

            var exit = await CommandTree.Build(new CliOutput(stdout, stderr, interactive: false)).Parse(["serve", "--config", config]).InvokeAsync();

            Assert.Equal(2, exit);
            Assert.Equal($"drorch: error: {expected}", stderr.ToString().TrimEnd());
            Assert.False(File.Exists(Path.Combine(root, "catalog.db")), "nothing may be created before the configuration is valid");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
