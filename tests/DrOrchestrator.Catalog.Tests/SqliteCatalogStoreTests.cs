using DrOrchestrator.Catalog.Tests.Support;

namespace DrOrchestrator.Catalog.Tests;

public sealed class SqliteCatalogStoreTests : CatalogStoreTests
{
    private readonly TempSqliteFile _file = new();

    protected override Task<Dictionary<string, string?>> CreateDatabaseAsync() => Task.FromResult(_file.Settings());

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _file.Dispose();
    }
}
