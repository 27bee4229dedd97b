using DrOrchestrator.Catalog.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace DrOrchestrator.Catalog.Tests;

/// <summary>
/// The application runs on each provider's compiled model (generated code); these fail when the
/// model the code describes has moved on without it (fix: the <c>dotnet ef dbcontext optimize</c>
/// commands in src/DrOrchestrator.Catalog/README.md, for BOTH providers). No server is needed.
/// </summary>
public sealed class CompiledModelTests
{
    [Theory]
    [InlineData(CatalogProvider.Sqlite, "Data Source=unused.db")]
    [InlineData(CatalogProvider.Postgres, "Host=127.0.0.1;Database=unused;Username=unused")]
    public void The_compiled_model_matches_the_model_the_code_describes(CatalogProvider provider, string connectionString)
    {
        var options = new CatalogOptions { Provider = provider, ConnectionString = connectionString };
        using var described = CatalogDbContextConfigurator.CreateDbContext(options);
        var builder = new DbContextOptionsBuilder<CatalogDbContext>();
        CatalogDbContextConfigurator.UseCompiledModel(CatalogDbContextConfigurator.Configure(builder, options), provider);
        using var compiled = new CatalogDbContext(builder.Options);

        Assert.Equal(Type.GetType(CatalogDbContextConfigurator.CompiledModelTypeName(provider))!.Assembly, compiled.Model.GetType().Assembly);
        Assert.Equal(
            described.Model.GetEntityTypes().Select(Describe).Order(),
            compiled.Model.GetEntityTypes().Select(Describe).Order());
    }

    /// <summary>An entity type as queries and updates see it: table, columns (CLR and store types), keys, indexes, relations.</summary>
    private static string Describe(IEntityType type) =>
        $"{type.Name} -> {type.GetTableName()}"
        + "\n columns: " + string.Join(", ", type.GetProperties()
            .Select(p => $"{p.Name} {p.ClrType.Name} {p.GetColumnName()} {p.GetColumnType()} {(p.IsNullable ? "null" : "not null")} {p.ValueGenerated} {p.GetValueConverter()?.ProviderClrType.Name}")
            .Order())
        + "\n keys: " + string.Join(", ", type.GetKeys().Select(k => string.Join("+", k.Properties.Select(p => p.Name))).Order())
        + "\n indexes: " + string.Join(", ", type.GetIndexes().Select(i => $"{string.Join("+", i.Properties.Select(p => p.Name))}{(i.IsUnique ? " unique" : "")}").Order())
        + "\n relations: " + string.Join(", ", type.GetForeignKeys()
            .Select(f => $"{string.Join("+", f.Properties.Select(p => p.Name))} -> {f.PrincipalEntityType.Name} {f.DeleteBehavior}").Order())
        + "\n navigations: " + string.Join(", ", type.GetNavigations().Select(n => n.Name).Order());
}
