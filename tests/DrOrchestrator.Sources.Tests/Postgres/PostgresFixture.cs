using DrOrchestrator.Core.Policies;
using DrOrchestrator.Sources.PostgreSql;
using DrOrchestrator.Testing.Fixtures;
using DrOrchestrator.Testing.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Sources.Tests.Postgres;

/// <summary>One private PostgreSQL server for every PostgreSQL source test (started, never assumed).</summary>
public sealed class PostgresFixture() : PostgresCollectionFixture(PasswordVariable)
{
    public const string PasswordVariable = "DRORCH_TEST_SOURCE_PG_PASSWORD";
    public static PostgresEngine Engine(string? toolDirectory = null) =>
        new(Options.Create(new PostgresSourceOptions { ToolDirectory = toolDirectory, ConnectTimeout = TimeSpan.FromSeconds(5) }), NullLogger<PostgresEngine>.Instance);

    /// <summary>A policy source for databases of this server, its password from <see cref="PasswordVariable"/>.</summary>
    public DatabaseSource Source(IReadOnlyList<string> databases, string name = "pg", int? port = null, string passwordVariable = PasswordVariable) =>
        new(DatabaseSource.PostgresType, name, "127.0.0.1", port ?? Server.Port, null, PostgresServer.User, databases, passwordVariable, null, false, false, null, null);

    /// <summary>A <c>--to-db</c> reference to a database of this server.</summary>
    public string Reference(string database) => $"host=127.0.0.1 port={Server.Port} user={PostgresServer.User} database={database}";

    /// <summary>A small database: two tables in two schemas, an enum, a large object.</summary>
    public async Task<string> CreateSmallDatabaseAsync()
    {
        var db = await Server.CreateDatabaseAsync("small");
        await Server.ExecuteAsync(db, """
            CREATE TYPE colour AS ENUM ('red', 'green');
            CREATE SCHEMA sales;
            CREATE TABLE sales.orders (id int PRIMARY KEY, customer text, total numeric(12,2), paint colour);
            INSERT INTO sales.orders SELECT g, 'customer ' || g, g * 1.5, CASE WHEN g % 2 = 0 THEN 'red'::colour ELSE 'green' END FROM generate_series(1, 500) g;
            CREATE TABLE notes (body text);
            INSERT INTO notes VALUES ('ünïcödé ✓'), (NULL);
            SELECT lo_from_bytea(0, '\x00ff00ff'::bytea);
            """);
        return db;
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL source server";
}
