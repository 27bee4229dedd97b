using DrOrchestrator.Testing.Postgres;

namespace DrOrchestrator.Catalog.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class PostgresCatalogStoreTests(PostgresServerFixture server) : CatalogStoreTests
{
    protected override async Task<Dictionary<string, string?>> CreateDatabaseAsync() => new()
    {
        ["Catalog:Provider"] = "Postgres",
        ["Catalog:ConnectionString"] = server.ConnectionString(await server.CreateDatabaseAsync()),
        ["Catalog:PasswordEnvironmentVariable"] = PostgresServer.PasswordVariable,
    };
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresCatalogStoreScheduleTests(PostgresServerFixture server) : CatalogStoreScheduleTests
{
    protected override async Task<Dictionary<string, string?>> CreateDatabaseAsync() => new()
    {
        ["Catalog:Provider"] = "Postgres",
        ["Catalog:ConnectionString"] = server.ConnectionString(await server.CreateDatabaseAsync()),
        ["Catalog:PasswordEnvironmentVariable"] = PostgresServer.PasswordVariable,
    };
}
