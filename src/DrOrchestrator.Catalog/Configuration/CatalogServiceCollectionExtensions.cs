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
    /// <see cref="CatalogStore"/> (also as <see cref="Lazy{T}"/>) and <see cref="CatalogMigrator"/>. The host must reference the
    /// migrations assembly of the provider it uses (both, to allow either). With
    /// <paramref name="baseDirectory"/> (the configuration file's folder), a relative SQLite
    /// <c>Data Source</c> is resolved against it rather than the working directory.
    /// </summary>
    public static IServiceCollection AddDrOrchestratorCatalog(this IServiceCollection services, IConfiguration configuration, string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddLogging();
        services.AddOptions<CatalogOptions>().Configure(options => Bind(configuration.GetSection(CatalogOptions.SectionName), options)).ValidateOnStart();
        if (baseDirectory is not null)
        {
            services.AddSingleton<IPostConfigureOptions<CatalogOptions>>(new SqliteDataSourceResolver(Path.GetFullPath(baseDirectory)));
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CatalogOptions>, CatalogOptionsValidator>());
        services.AddDbContextFactory<CatalogDbContext>((sp, builder) =>
        {
            var options = sp.GetRequiredService<IOptions<CatalogOptions>>().Value;
            CatalogDbContextConfigurator.UseCompiledModel(CatalogDbContextConfigurator.Configure(builder, options), options.Provider);
        });
        // Built on first use only: the statements every short command runs go through
        // CatalogConnections, and EF Core's start costs such a command more than its work (§68).
        services.TryAddSingleton(sp => new Lazy<IDbContextFactory<CatalogDbContext>>(sp.GetRequiredService<IDbContextFactory<CatalogDbContext>>));
        services.TryAddSingleton<CatalogConnections>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CatalogStore>();
        // For users that may not need the catalog at all (a restore from a single target): resolving
        // CatalogStore builds the DbContext options, which loads EF Core and the database provider.
        services.TryAddSingleton(sp => new Lazy<CatalogStore>(sp.GetRequiredService<CatalogStore>));
        services.TryAddSingleton<CatalogMigrator>();
        return services;
    }

    /// <summary>
    /// Binds the section, turning the binder's failure into a validation failure like the others:
    /// the binder's own message names the .NET type, not what the admin may write instead.
    /// </summary>
    private static void Bind(IConfigurationSection section, CatalogOptions options)
    {
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            var provider = section[nameof(CatalogOptions.Provider)];
            var failure = provider is not null && !Enum.TryParse<CatalogProvider>(provider, ignoreCase: true, out _)
                ? CatalogOptionsValidator.UnsupportedProvider(provider)
                : $"Catalog: {ex.Message}";
            throw new OptionsValidationException(Options.DefaultName, typeof(CatalogOptions), [failure]);
        }
    }
}
