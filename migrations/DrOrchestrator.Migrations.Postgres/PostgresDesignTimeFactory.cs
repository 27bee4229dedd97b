using DrOrchestrator.Catalog;
using DrOrchestrator.Catalog.Configuration;
using Microsoft.EntityFrameworkCore.Design;

namespace DrOrchestrator.Migrations.Postgres;

/// <summary>
/// Lets <c>dotnet ef migrations add X --project migrations/DrOrchestrator.Migrations.Postgres</c>
/// build the PostgreSQL model. It goes through the same configurator as the application, so the
/// migrations match what runs. <c>migrations add</c> never connects to the server named here.
/// </summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<CatalogDbContext>
{
    public CatalogDbContext CreateDbContext(string[] args) =>
        CatalogDbContextConfigurator.CreateDbContext(new CatalogOptions { Provider = CatalogProvider.Postgres, ConnectionString = "Host=localhost;Database=drorch_design;Username=drorch" });
}
