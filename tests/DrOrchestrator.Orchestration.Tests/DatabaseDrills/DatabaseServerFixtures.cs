using DrOrchestrator.Testing.Fixtures;

namespace DrOrchestrator.Orchestration.Tests.DatabaseDrills;

/// <summary>A private PostgreSQL server for the database-drill tests (started, never assumed: fails when the binaries are missing).</summary>
public sealed class PostgresDrillFixture() : PostgresCollectionFixture(PasswordVariable)
{
    public const string PasswordVariable = "DRORCH_TEST_DRILL_PG_PASSWORD";
}

[CollectionDefinition(Name)]
public sealed class PostgresDrillCollection : ICollectionFixture<PostgresDrillFixture>
{
    public const string Name = "PostgreSQL drill server";
}

/// <summary>A private MariaDB server for the database-drill tests.</summary>
public sealed class MariaDbDrillFixture() : MariaDbCollectionFixture(PasswordVariable)
{
    public const string PasswordVariable = "DRORCH_TEST_DRILL_MARIADB_PASSWORD";
}

[CollectionDefinition(Name)]
public sealed class MariaDbDrillCollection : ICollectionFixture<MariaDbDrillFixture>
{
    public const string Name = "MariaDB drill server";
}
