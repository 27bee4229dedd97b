using DrOrchestrator.Catalog.Configuration;
using DrOrchestrator.Catalog.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Catalog.Tests;

public sealed class CatalogOptionsTests
{
    [Theory]
    [InlineData("Postgres", null, null, "Catalog:ConnectionString is required when Catalog:Provider is Postgres (e.g. Host=db;Database=drorch;Username=drorch)")]
    [InlineData("Postgres", "Host=db;Username=u;Password=hunter2", null,
        "Catalog:ConnectionString must not contain a password; put it in an environment variable and name it in Catalog:PasswordEnvironmentVariable")]
    [InlineData("Postgres", "Host=db;Username=u", "DRORCH_TEST_SURELY_UNSET_VARIABLE", "Catalog:PasswordEnvironmentVariable names 'DRORCH_TEST_SURELY_UNSET_VARIABLE', which is not set")]
    public void Invalid_postgres_settings_fail_at_start_up_with_the_key_named(string provider, string? connection, string? variable, string expected)
    {
        using var services = Build(new()
        {
            ["Catalog:Provider"] = provider,
            ["Catalog:ConnectionString"] = connection,
            ["Catalog:PasswordEnvironmentVariable"] = variable,
        });

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<CatalogOptions>>().Value);

        Assert.Equal([expected], ex.Failures);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Busy_timeout_out_of_range_is_rejected()
    {
        using var services = Build(new() { ["Catalog:ConnectionString"] = "Data Source=c.db", ["Catalog:BusyTimeoutSeconds"] = "-1" });

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<CatalogOptions>>().Value);

        Assert.Equal(["Catalog:BusyTimeoutSeconds -1 is out of range 0-3600"], ex.Failures);
    }

    [Fact]
    public void An_unknown_provider_is_named_with_what_is_accepted()
    {
        using var services = Build(new() { ["Catalog:Provider"] = "Oracle" });

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<CatalogOptions>>().Value);

        Assert.Equal(["Catalog:Provider 'Oracle' is not supported (use Sqlite or Postgres)"], ex.Failures);
    }

    [Fact]
    public void Sqlite_is_the_default_provider_but_its_file_must_be_named()
    {
        using var services = Build([]);

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<CatalogOptions>>().Value);

        Assert.Equal(["Catalog:ConnectionString is required (e.g. Data Source=data/catalog.db)"], ex.Failures);
        Assert.Equal(CatalogProvider.Sqlite, new CatalogOptions().Provider);
    }

    [Fact]
    public void Postgres_password_comes_from_the_named_environment_variable()
    {
        const string variable = "DRORCH_TEST_CATALOG_OPTIONS_PASSWORD";
        Environment.SetEnvironmentVariable(variable, "s3cret");
        var options = new CatalogOptions { Provider = CatalogProvider.Postgres, ConnectionString = "Host=db;Username=drorch", PasswordEnvironmentVariable = variable };

        Assert.Equal("Host=db;Username=drorch;Password=s3cret", CatalogDbContextConfigurator.PostgresConnectionString(options));
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings) =>
        new ServiceCollection()
            .AddSingleton<TimeProvider>(new ManualTimeProvider(CatalogHarness.Start))
            .AddDrOrchestratorCatalog(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .BuildServiceProvider();
}
