using DrOrchestrator.Catalog.Configuration;
using DrOrchestrator.Catalog.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Catalog.Tests;

/// <summary>A relative SQLite catalog file means "relative to the configuration file's folder", which the host passes at registration.</summary>
public sealed class SqliteDataSourceResolverTests
{
    private static readonly string BaseDirectory = Path.Combine(Path.GetTempPath(), "drorch-config-folder");

    [Theory]
    [InlineData("Data Source=catalog.db", "catalog.db")]
    [InlineData("Data Source=data/catalog.db;Cache=Shared", "data/catalog.db")]
    [InlineData("Data Source=../elsewhere/catalog.db", "../elsewhere/catalog.db")]
    public void A_relative_data_source_is_resolved_against_the_base_directory_and_the_other_keywords_are_kept(string connectionString, string relative)
    {
        var options = Resolve(connectionString, provider: null, BaseDirectory);

        var builder = new SqliteConnectionStringBuilder(options.ConnectionString);
        Assert.Equal(Path.GetFullPath(Path.Combine(BaseDirectory, relative)), builder.DataSource);
        Assert.True(Path.IsPathFullyQualified(builder.DataSource));
        Assert.Equal(connectionString.Contains("Cache=Shared", StringComparison.Ordinal) ? SqliteCacheMode.Shared : SqliteCacheMode.Default, builder.Cache);
    }

    [Theory]
    [InlineData("Sqlite", "Data Source=/srv/drorch/catalog.db")]
    [InlineData("Sqlite", "Data Source=:memory:")]
    [InlineData("Sqlite", "Cache=Shared")]
    [InlineData("Postgres", "Host=db;Database=drorch;Username=drorch")]
    public void Absolute_in_memory_unnamed_and_postgres_connection_strings_are_left_as_configured(string provider, string connectionString)
    {
        var options = Resolve(connectionString, provider, BaseDirectory);

        Assert.Equal(connectionString, options.ConnectionString);
    }

    [Fact]
    public void Without_a_base_directory_a_relative_data_source_is_left_as_configured()
    {
        var options = Resolve("Data Source=catalog.db", provider: null, baseDirectory: null);

        Assert.Equal("Data Source=catalog.db", options.ConnectionString);
    }

    /// <summary>The options as the host sees them (bound, post-configured, validated).</summary>
    private static CatalogOptions Resolve(string connectionString, string? provider, string? baseDirectory)
    {
        var settings = new Dictionary<string, string?> { ["Catalog:ConnectionString"] = connectionString };
        if (provider is not null)
        {
            settings["Catalog:Provider"] = provider;
        }

        using var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(new ManualTimeProvider(CatalogHarness.Start))
            .AddDrOrchestratorCatalog(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), baseDirectory)
            .BuildServiceProvider();
        return services.GetRequiredService<IOptions<CatalogOptions>>().Value;
    }
}
