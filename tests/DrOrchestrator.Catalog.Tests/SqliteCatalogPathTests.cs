using DrOrchestrator.Catalog.Configuration;
using DrOrchestrator.Core.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Catalog.Tests;

/// <summary>The Catalog resolves its own SQLite file against the configuration file's folder.</summary>
public sealed class SqliteCatalogPathTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("drorch-catalog-path-").FullName;

    [Fact]
    public void A_relative_data_source_is_taken_relative_to_the_configuration_file_and_its_folder_created()
    {
        var options = Options(new() { [ConfigurationFile.BaseDirectoryKey] = _root, ["Catalog:ConnectionString"] = "Data Source=data/catalog.db" });

        Assert.Equal($"Data Source={Path.Combine(_root, "data", "catalog.db")}", options.ConnectionString);
        Assert.True(Directory.Exists(Path.Combine(_root, "data")));
    }

    [Theory]
    [InlineData("Data Source=/srv/drorch/catalog.db")]
    [InlineData("Data Source=:memory:")]
    public void An_absolute_or_in_memory_data_source_is_kept(string connection)
    {
        var options = Options(new() { [ConfigurationFile.BaseDirectoryKey] = _root, ["Catalog:ConnectionString"] = connection });

        Assert.Equal(connection, options.ConnectionString);
    }

    [Fact]
    public void Without_a_loaded_configuration_file_the_connection_string_is_kept_verbatim()
    {
        var options = Options(new() { ["Catalog:ConnectionString"] = "Data Source=data/catalog.db" });

        Assert.Equal("Data Source=data/catalog.db", options.ConnectionString);
        Assert.False(Directory.Exists(Path.Combine(_root, "data")));
    }

    [Fact]
    public void A_postgres_connection_string_is_never_touched()
    {
        var options = Options(new()
        {
            [ConfigurationFile.BaseDirectoryKey] = _root,
            ["Catalog:Provider"] = "Postgres",
            ["Catalog:ConnectionString"] = "Host=db;Database=data/x;Username=drorch",
        });

        Assert.Equal("Host=db;Database=data/x;Username=drorch", options.ConnectionString);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static CatalogOptions Options(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var services = new ServiceCollection().AddDrOrchestratorCatalog(configuration).BuildServiceProvider();
        return services.GetRequiredService<IOptions<CatalogOptions>>().Value;
    }
}
