using DrOrchestrator.Catalog.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Server.Configuration;

/// <summary>
/// Reads and validates <see cref="ServerOptions"/> before the host is built (the listen URLs and
/// the work queue's store shape the host itself). A value the binder cannot convert becomes a
/// validation failure naming the key, like every other bad value.
/// </summary>
public static class ServerOptionsLoader
{
    /// <exception cref="OptionsValidationException">Every problem, one line each.</exception>
    public static ServerOptions Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(ServerOptions.SectionName);
        var options = new ServerOptions();
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            var failure = $"Server: {ex.GetBaseException().Message}";
            if (section[nameof(ServerOptions.WorkStorage)] is { } storage && !Enum.TryParse<WorkStorage>(storage, ignoreCase: true, out _))
            {
                failure = $"Server:WorkStorage: '{storage}' is not supported (use Auto, InMemory or Postgres)";
            }

            throw new OptionsValidationException(Options.DefaultName, typeof(ServerOptions), [failure]);
        }

        // Binding appends to list defaults; configured URLs replace the default one.
        if (section.GetSection(nameof(ServerOptions.Urls)).Exists())
        {
            options.Urls = section.GetSection(nameof(ServerOptions.Urls)).Get<List<string>>() ?? [];
        }

        var catalogProvider = configuration.GetSection(CatalogOptions.SectionName)[nameof(CatalogOptions.Provider)];
        bool postgresCatalog = Enum.TryParse<CatalogProvider>(catalogProvider, ignoreCase: true, out var provider) && provider == CatalogProvider.Postgres;
        if (options.WorkStorage == WorkStorage.Auto)
        {
            options.WorkStorage = postgresCatalog ? WorkStorage.Postgres : WorkStorage.InMemory;
        }
        else if (options.WorkStorage == WorkStorage.Postgres && !postgresCatalog)
        {
            // The schedule and the queue live in the catalog's database: there is no other connection to use.
            throw new OptionsValidationException(Options.DefaultName, typeof(ServerOptions),
                [$"Server:WorkStorage: 'Postgres' needs Catalog:Provider Postgres (it is '{catalogProvider ?? "Sqlite"}'); the schedule and the work queue live in the catalog's database"]);
        }

        var result = new ServerOptionsValidator().Validate(Options.DefaultName, options);
        return result.Failed ? throw new OptionsValidationException(Options.DefaultName, typeof(ServerOptions), result.Failures) : options;
    }
}
