using System.Text.Json;
using DrOrchestrator.Testing.Postgres;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DrOrchestrator.Cli.Tests;

/// <summary>`drorch catalog migrate [--check] [--json]` as a real process, on SQLite and on PostgreSQL.</summary>
[Collection(CliPostgresCollection.Name)]
public sealed class CatalogMigrateCommandTests(CliPostgresFixture fixture) : IDisposable
{
    private readonly CliSandbox _sandbox = new();

    private PostgresServer Server => fixture.Server!;

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task On_sqlite_check_lists_every_migration_pending_without_creating_the_file_then_migrate_applies_and_names_each_once()
    {
        var check = await RunAsync("catalog", "migrate", "--check");

        Assert.True(check.ExitCode == 1, check.ToString());
        Assert.False(File.Exists(_sandbox.CatalogPath), "--check created the catalog file");
        var pending = Named(check.Stdout, "pending");
        Assert.NotEmpty(pending);
        Assert.StartsWith($"catalog (SQLite): 0 migrations applied, {pending.Count} pending", check.Stdout, StringComparison.Ordinal);

        var migrate = await RunAsync("catalog", "migrate");

        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        Assert.Equal(pending, Named(migrate.Stdout, "applied"));
        Assert.Equal(pending, await HistoryAsync(new SqliteConnection($"Data Source={_sandbox.CatalogPath}")));

        var again = await RunAsync("catalog", "migrate", "--json");

        Assert.True(again.ExitCode == 0, again.ToString());
        using (var json = JsonDocument.Parse(again.Stdout))
        {
            Assert.Equal("SQLite", json.RootElement.GetProperty("provider").GetString());
            Assert.Empty(json.RootElement.GetProperty("appliedNow").EnumerateArray());
            Assert.Empty(json.RootElement.GetProperty("pending").EnumerateArray());
            Assert.Equal(pending, json.RootElement.GetProperty("applied").EnumerateArray().Select(e => e.GetString()!).ToList());
        }

        var upToDate = await RunAsync("catalog", "migrate", "--check");

        Assert.True(upToDate.ExitCode == 0, upToDate.ToString());
        Assert.Equal($"catalog (SQLite) is up to date: {pending.Count} migrations applied, none pending", upToDate.Stdout.Trim());
    }

    [Fact]
    public async Task On_postgres_two_migrates_at_once_apply_each_migration_exactly_once_and_check_then_finds_nothing_pending()
    {
        var database = await Server.CreateDatabaseAsync("migrate");
        UsePostgres(Server.ConnectionString(database));

        var check = await RunAsync("catalog", "migrate", "--check", "--json");

        Assert.True(check.ExitCode == 1, check.ToString());
        List<string> pending;
        using (var json = JsonDocument.Parse(check.Stdout))
        {
            Assert.Equal("PostgreSQL", json.RootElement.GetProperty("provider").GetString());
            Assert.Empty(json.RootElement.GetProperty("applied").EnumerateArray());
            pending = [.. json.RootElement.GetProperty("pending").EnumerateArray().Select(e => e.GetString()!)];
        }

        Assert.NotEmpty(pending);
        Assert.Empty(await HistoryAsync(new NpgsqlConnection(Server.ConnectionStringWithPassword(database)), tableMayBeMissing: true));

        // Two nodes' rollout scripts at once: EF Core's migration lock lets one apply, the other finds nothing left.
        var runs = await Task.WhenAll(RunAsync("catalog", "migrate"), RunAsync("catalog", "migrate"));

        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.Equal(pending, runs.SelectMany(r => Named(r.Stdout, "applied")).Order(StringComparer.Ordinal).ToList());
        Assert.Equal(pending, await HistoryAsync(new NpgsqlConnection(Server.ConnectionStringWithPassword(database))));
        var upToDate = await RunAsync("catalog", "migrate", "--check");
        Assert.True(upToDate.ExitCode == 0, upToDate.ToString());
        Assert.Equal($"catalog (PostgreSQL) is up to date: {pending.Count} migrations applied, none pending", upToDate.Stdout.Trim());
    }

    [Fact]
    public async Task An_unreachable_postgres_catalog_is_one_line_and_exit_1()
    {
        UsePostgres("Host=127.0.0.1;Port=1;Username=drorch;Database=nothing;Timeout=5");

        var migrate = await RunAsync("catalog", "migrate");

        Assert.True(migrate.ExitCode == 1, migrate.ToString());
        Assert.Empty(migrate.Stdout);
        var line = Assert.Single(migrate.Stderr.Trim().Split('\n'));
        Assert.StartsWith("drorch: error: ", line, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:1", line, StringComparison.Ordinal);
    }

    private Task<CliRun> RunAsync(params string[] args) => RealDrorch.RunAsync(_sandbox, null, args);

    private void UsePostgres(string connectionString)
    {
        var settings = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(_sandbox.ConfigPath))!;
        var json = JsonSerializer.SerializeToElement(new Dictionary<string, string>
        {
            ["Provider"] = "Postgres", ["ConnectionString"] = connectionString, ["PasswordEnvironmentVariable"] = CliPostgresFixture.PasswordVariable,
        });
        settings["Catalog"] = json;
        File.WriteAllText(_sandbox.ConfigPath, JsonSerializer.Serialize(settings));
    }

    /// <summary>The migration names of the lines "  WORD  NAME" in <paramref name="output"/>, sorted.</summary>
    private static List<string> Named(string output, string word) =>
        [.. output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith(word + "  ", StringComparison.Ordinal)).Select(l => l[(word.Length + 2)..].Trim()).Order(StringComparer.Ordinal)];

    private static async Task<List<string>> HistoryAsync(System.Data.Common.DbConnection connection, bool tableMayBeMissing = false)
    {
        await using (connection)
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT \"MigrationId\" FROM \"__EFMigrationsHistory\"";
            var names = new List<string>();
            try
            {
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    names.Add(reader.GetString(0));
                }
            }
            catch (System.Data.Common.DbException) when (tableMayBeMissing)
            {
                return [];
            }

            return [.. names.Order(StringComparer.Ordinal)];
        }
    }
}
