using DrOrchestrator.Catalog.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DrOrchestrator.Catalog.Tests.Support;

/// <summary>
/// The catalog wired exactly as a host wires it — <c>AddDrOrchestratorCatalog</c> over
/// configuration keys — plus a manual clock, migrated and ready.
/// </summary>
internal sealed class CatalogHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _services;

    private CatalogHarness(ServiceProvider services, ManualTimeProvider clock)
    {
        _services = services;
        Clock = clock;
    }

    public ManualTimeProvider Clock { get; }

    public CatalogStore Store => _services.GetRequiredService<CatalogStore>();

    public CatalogMigrator Migrator => _services.GetRequiredService<CatalogMigrator>();

    public static async Task<CatalogHarness> CreateAsync(IDictionary<string, string?> settings, bool migrate = true)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var clock = new ManualTimeProvider(Start);
        var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(clock)
            .AddDrOrchestratorCatalog(configuration)
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var harness = new CatalogHarness(services, clock);
        if (migrate)
        {
            await harness.Migrator.MigrateAsync(CancellationToken.None);
        }

        return harness;
    }

    /// <summary>A raw context, for asserting rows behind the API.</summary>
    public CatalogDbContext Db() => _services.GetRequiredService<IDbContextFactory<CatalogDbContext>>().CreateDbContext();

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
