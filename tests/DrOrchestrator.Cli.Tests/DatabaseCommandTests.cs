using System.Globalization;
using System.Text.Json;
using DrOrchestrator.Testing.Fixtures;
using DrOrchestrator.Testing.Postgres;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// One private PostgreSQL server for every CLI test that needs one, shared through a collection:
/// its password lives in one environment variable, so a second server would overwrite the first's.
/// </summary>
public sealed class CliPostgresFixture() : PostgresCollectionFixture(PasswordVariable)
{
    public const string PasswordVariable = "DRORCH_TEST_CLI_PG_PASSWORD";
}

[CollectionDefinition(Name)]
public sealed class CliPostgresCollection : ICollectionFixture<CliPostgresFixture>
{
    public const string Name = "CLI PostgreSQL server";
}

/// <summary>
/// `drorch backup` of a policy with a PostgreSQL source and `drorch restore --to-db`, end to end
/// through the front door: exit codes, one-line errors, the catalog and the repository.
/// </summary>
[Collection(CliPostgresCollection.Name)]
public sealed class DatabaseCommandTests(CliPostgresFixture fixture) : IDisposable
{
    private readonly CliSandbox _sandbox = new();

    private PostgresServer Server => fixture.Server!;

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task A_postgres_policy_backs_up_and_restores_into_a_new_database_with_its_fingerprint_verified()
    {
        var db = await Server.CreateDatabaseAsync("cli");
        await Server.ExecuteAsync(db, "CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t SELECT g, 'ñ ' || g FROM generate_series(1, 2000) g;");
        var apply = await _sandbox.RunAsync("policy", "apply", WritePolicy("shop", db, CliPostgresFixture.PasswordVariable));
        Assert.True(apply.ExitCode == 0, apply.ToString());

        var backup = await _sandbox.RunAsync("backup", "shop", "--json");

        Assert.True(backup.ExitCode == 0, backup.ToString());
        using (var json = JsonDocument.Parse(backup.Stdout))
        {
            Assert.Single(json.RootElement.GetProperty("snapshots").EnumerateArray());
        }

        var restored = $"restored_{Guid.NewGuid():N}";
        var reference = $"host=127.0.0.1 port={Server.Port.ToString(CultureInfo.InvariantCulture)} user={PostgresServer.User} database={restored}";
        var restore = await _sandbox.RunAsync("restore", "shop", "--to-db", reference, "--password-env", CliPostgresFixture.PasswordVariable, "--json");

        Assert.True(restore.ExitCode == 0, restore.ToString());
        using (var json = JsonDocument.Parse(restore.Stdout))
        {
            Assert.Equal(db, json.RootElement.GetProperty("database").GetString());
            Assert.Equal("pg", json.RootElement.GetProperty("source").GetString());
            Assert.True(json.RootElement.GetProperty("fingerprintVerified").GetBoolean());
            Assert.Equal(2000, json.RootElement.GetProperty("rows").GetInt64());
        }

        var again = await _sandbox.RunAsync("restore", "shop", "--to-db", reference, "--password-env", CliPostgresFixture.PasswordVariable);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains($"drorch: error: --to-db: database {restored} at 127.0.0.1:{Server.Port} as drorch is not empty", again.Stderr, StringComparison.Ordinal);

        var withPassword = await _sandbox.RunAsync("restore", "shop", "--to-db", reference + " password=x");
        Assert.Equal(2, withPassword.ExitCode);
        Assert.Contains("drorch: error: --to-db: a password does not go into the connection reference", withPassword.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_credentials_fail_the_backup_with_one_line_exit_1_and_no_snapshot()
    {
        Environment.SetEnvironmentVariable("DRORCH_TEST_CLI_WRONG_PASSWORD", "wrong-password-value");
        var apply = await _sandbox.RunAsync("policy", "apply", WritePolicy("bad", "postgres", "DRORCH_TEST_CLI_WRONG_PASSWORD"));
        Assert.True(apply.ExitCode == 0, apply.ToString());

        var backup = await _sandbox.RunAsync("backup", "bad");

        Assert.Equal(1, backup.ExitCode);
        var errors = backup.Stderr.Split('\n').Where(l => l.StartsWith("drorch: error:", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            [$"drorch: error: source pg: cannot connect to PostgreSQL at 127.0.0.1:{Server.Port} as drorch (database postgres): password authentication failed for user \"drorch\""],
            errors);
        Assert.DoesNotContain("wrong-password-value", backup.Stderr + backup.Stdout, StringComparison.Ordinal);
        var snapshots = await _sandbox.RunAsync("snapshots", "bad", "--json");
        Assert.True(snapshots.ExitCode == 0, snapshots.ToString());
        Assert.Equal(0, JsonDocument.Parse(snapshots.Stdout).RootElement.GetArrayLength());
    }

    private string WritePolicy(string name, string database, string passwordVariable)
    {
        var path = Path.Combine(_sandbox.Root, name + ".yaml");
        File.WriteAllText(path, $"""
            name: {name}
            sources:
              - type: postgres
                name: pg
                host: 127.0.0.1
                port: {Server.Port.ToString(CultureInfo.InvariantCulture)}
                user: {PostgresServer.User}
                databases: [{database}]
                passwordEnvironmentVariable: {passwordVariable}
            targets:
              - name: local
                role: primary
            schedule: {"{"} cron: "0 0 2 * * ?", timeZone: UTC {"}"}
            rpo: 24h
            rto: 1h

            """);
        return path;
    }
}
