using DrOrchestrator.Testing.MariaDb;
using DrOrchestrator.Testing.Postgres;

namespace DrOrchestrator.Orchestration.Tests.DatabaseDrills;

/// <summary>A private PostgreSQL server for the database-drill tests (started, never assumed: fails when the binaries are missing).</summary>
public sealed class PostgresDrillFixture : IAsyncLifetime
{
    public const string PasswordVariable = "DRORCH_TEST_DRILL_PG_PASSWORD";
    private PostgresServer? _server;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("the PostgreSQL server has not started");

    public async Task InitializeAsync() => _server = await PostgresServer.StartAsync(PasswordVariable);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresDrillCollection : ICollectionFixture<PostgresDrillFixture>
{
    public const string Name = "PostgreSQL drill server";
}

/// <summary>A private MariaDB server for the database-drill tests.</summary>
public sealed class MariaDbDrillFixture : IAsyncLifetime
{
    public const string PasswordVariable = "DRORCH_TEST_DRILL_MARIADB_PASSWORD";
    private MariaDbServer? _server;

    public MariaDbServer Server => _server ?? throw new InvalidOperationException("the MariaDB server has not started");

    public async Task InitializeAsync() => _server = await MariaDbServer.StartAsync(PasswordVariable);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class MariaDbDrillCollection : ICollectionFixture<MariaDbDrillFixture>
{
    public const string Name = "MariaDB drill server";
}
