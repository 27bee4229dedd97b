using DrOrchestrator.Testing.Postgres;

namespace DrOrchestrator.Server.Tests.Cluster;

/// <summary>The shared throw-away PostgreSQL server (<see cref="PostgresServer"/>) as an xunit fixture.</summary>
public sealed class PostgresServerFixture : PostgresServer, IAsyncLifetime;

/// <summary>Every test on the real PostgreSQL shares one server.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServerFixture>
{
    public const string Name = "PostgreSQL server";
}
