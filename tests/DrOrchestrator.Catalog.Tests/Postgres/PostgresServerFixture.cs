using DrOrchestrator.Testing.Postgres;

namespace DrOrchestrator.Catalog.Tests.Postgres;

/// <summary>The shared throw-away PostgreSQL server (<see cref="PostgresServer"/>) as an xunit fixture.</summary>
public sealed class PostgresServerFixture : PostgresServer, IAsyncLifetime;

/// <summary>All PostgreSQL tests share one server (xunit 2 has no assembly fixtures; one collection is the equivalent).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServerFixture>
{
    public const string Name = "PostgreSQL server";
}
