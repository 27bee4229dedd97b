using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Catalog.Configuration;

public static class CatalogServiceCollectionExtensions
{
    /// <summary>
    /// Registers the catalog: options from section <c>Catalog</c> (validated at start-up),
    /// an <see cref="IDbContextFactory{TContext}"/> for <see cref="CatalogDbContext"/>,
    /// <see cref="CatalogStore"/> and <see cref="CatalogMigrator"/>. The host must reference the
    /// migrations assembly of the provider it uses (both, to allow either).
    /// </summary>
    public static IServiceCollection AddDrOrchestratorCatalog(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddLogging();
        services.AddOptions<CatalogOptions>().Bind(configuration.GetSection(CatalogOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CatalogOptions>, CatalogOptionsValidator>());
        services.AddDbContextFactory<CatalogDbContext>((sp, builder) =>
            CatalogDbContextConfigurator.Configure(builder, sp.GetRequiredService<IOptions<CatalogOptions>>().Value));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CatalogStore>();
        services.TryAddSingleton<CatalogMigrator>();
        return services;
    }
}
