using DrOrchestrator.Catalog;
using DrOrchestrator.Catalog.Configuration;
using Microsoft.EntityFrameworkCore.Design;

namespace DrOrchestrator.Migrations.Sqlite;

/// <summary>
/// Lets <c>dotnet ef migrations add X --project migrations/DrOrchestrator.Migrations.Sqlite</c>
/// build the SQLite model. It goes through the same configurator as the application, so the
/// migrations match what runs. The file named here is never opened by <c>migrations add</c>.
/// </summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<CatalogDbContext>
{
    public CatalogDbContext CreateDbContext(string[] args) =>
        CatalogDbContextConfigurator.CreateDbContext(new CatalogOptions { Provider = CatalogProvider.Sqlite, ConnectionString = "Data Source=design-time.db" });
}
