using DrOrchestrator.Catalog.Configuration;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage.Decorators;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DrOrchestrator.Orchestration.Configuration;

/// <summary>
/// Checks every section of the configuration before a command does anything, so a wrong
/// configuration never half-works: no catalog silently created in the working directory, no
/// directory created because a path had a typo, no binder exception surfacing as a crash.
/// Every problem is one line naming the file and the field; all are reported at once.
/// </summary>
/// <remarks>
/// Directories are never created here, nor anywhere for the catalog: the folder that will hold
/// the SQLite catalog must exist (only <c>quickstart</c>, which sets a tour up, creates it). The
/// data paths of targets are the targets' own business (a local target creates its repository
/// folder when a repository is initialised there).
/// </remarks>
public static class ConfigurationValidator
{
    private const string CatalogExample = "\"Catalog\": { \"Provider\": \"Sqlite\", \"ConnectionString\": \"Data Source=data/catalog.db\" }";

    /// <summary>
    /// Every section but <c>Catalog</c>, which <see cref="ValidateCatalog(IConfiguration)"/> checks
    /// for the commands that open the catalog: a restore must work during an incident even when the
    /// catalog's settings are what is broken (docs/decisions.md §4).
    /// </summary>
    /// <exception cref="ConfigurationException">With every problem found.</exception>
    public static void Validate(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var file = ConfigurationLoader.FileName(configuration);
        var problems = new List<string>();
        if (!ConfigurationLoader.HasFile(configuration) && !configuration.GetSection(CatalogOptions.SectionName).Exists())
        {
            throw new ConfigurationException(
                $"no configuration file: looked for --config FILE, ${ConfigurationLoader.EnvironmentVariable} and {Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json")}");
        }

        ValidateRepositoryKey(configuration, file, problems);
        ValidateRepository(configuration, file, problems);
        ValidateIndexCache(configuration, file, problems);
        ValidateTargets(configuration, file, problems);
        _ = Prune.PruneSettings.Read(configuration, file, problems);
        if (problems.Count > 0)
        {
            throw new ConfigurationException(problems);
        }
    }

    /// <summary>The <c>Catalog</c> section: present, an object, a supported provider, a connection string, an existing folder.</summary>
    /// <exception cref="ConfigurationException">With every problem found.</exception>
    public static void ValidateCatalog(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = new List<string>();
        ValidateCatalog(configuration, ConfigurationLoader.FileName(configuration), problems);
        if (problems.Count > 0)
        {
            throw new ConfigurationException(problems);
        }
    }

    /// <summary>The SQLite catalog file the configuration names (absolute), or null for another provider or an in-memory one.</summary>
    public static string? SqliteCatalogPath(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(CatalogOptions.SectionName);
        var provider = section[nameof(CatalogOptions.Provider)];
        var text = section[nameof(CatalogOptions.ConnectionString)];
        if (string.IsNullOrWhiteSpace(text) || (provider is not null && !provider.Equals(nameof(CatalogProvider.Sqlite), StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        string dataSource;
        try
        {
            dataSource = new SqliteConnectionStringBuilder(text).DataSource;
        }
        catch (ArgumentException)
        {
            return null; // reported by ValidateCatalog
        }

        return string.IsNullOrEmpty(dataSource) || dataSource == ":memory:" || dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase)
            ? null
            : ConfigurationLoader.ResolvePath(configuration, dataSource);
    }

    private static void ValidateCatalog(IConfiguration configuration, string file, List<string> problems)
    {
        if (!ValidateObject(configuration, CatalogOptions.SectionName, file, problems, required: true))
        {
            return;
        }

        var section = configuration.GetSection(CatalogOptions.SectionName);
        var provider = section[nameof(CatalogOptions.Provider)];
        if (provider is not null && !Enum.TryParse<CatalogProvider>(provider, ignoreCase: true, out _))
        {
            problems.Add($"{file}: Catalog:Provider: '{provider}' is not supported (use Sqlite or Postgres)");
            return;
        }

        var connectionString = section[nameof(CatalogOptions.ConnectionString)];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            problems.Add($"{file}: Catalog:ConnectionString: is required (e.g. {CatalogExample})");
            return;
        }

        if (provider is null || provider.Equals(nameof(CatalogProvider.Sqlite), StringComparison.OrdinalIgnoreCase))
        {
            ValidateSqlite(configuration, connectionString, file, problems);
        }
    }

    private static void ValidateSqlite(IConfiguration configuration, string connectionString, string file, List<string> problems)
    {
        try
        {
            _ = new SqliteConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            problems.Add($"{file}: Catalog:ConnectionString: not a valid SQLite connection string (e.g. Data Source=data/catalog.db)");
            return;
        }

        if (SqliteCatalogPath(configuration) is { } path && !Directory.Exists(Path.GetDirectoryName(path)))
        {
            problems.Add($"{file}: Catalog:ConnectionString: the folder of the catalog file, {Path.GetDirectoryName(path)}, does not exist (create it first; drorch does not create folders for the catalog)");
        }
    }

    private static void ValidateRepositoryKey(IConfiguration configuration, string file, List<string> problems)
    {
        if (!ValidateObject(configuration, "RepositoryKey", file, problems, required: false))
        {
            return;
        }

        var key = configuration.GetSection("RepositoryKey");
        var fromEnvironment = !string.IsNullOrWhiteSpace(key[nameof(SecretReferenceOptions.EnvironmentVariable)]);
        var fromFile = !string.IsNullOrWhiteSpace(key[nameof(SecretReferenceOptions.File)]);
        if (fromEnvironment == fromFile)
        {
            problems.Add($"{file}: RepositoryKey: set exactly one of EnvironmentVariable and File{(fromFile ? ", not both" : "")}");
        }
    }

    private static void ValidateRepository(IConfiguration configuration, string file, List<string> problems)
    {
        if (!ValidateObject(configuration, "Repository", file, problems, required: false) || !configuration.GetSection("Repository").Exists())
        {
            return;
        }

        try
        {
            ConfigurationBinding.Bind<RepositoryInitOptions>(configuration, configuration.GetSection("Repository")).Validate();
        }
        catch (ConfigurationException ex)
        {
            problems.Add(ex.Message);
        }
        catch (ArgumentException ex)
        {
            problems.Add($"{file}: Repository: {ex.Message}");
        }
    }

    private static void ValidateIndexCache(IConfiguration configuration, string file, List<string> problems)
    {
        if (!ValidateObject(configuration, IndexCacheSettings.SectionName, file, problems, required: false))
        {
            return;
        }

        try
        {
            _ = IndexCacheSettings.Read(configuration);
        }
        catch (ConfigurationException ex)
        {
            problems.Add(ex.Message);
        }
    }

    private static void ValidateTargets(IConfiguration configuration, string file, List<string> problems)
    {
        if (!ValidateObject(configuration, "Targets", file, problems, required: true))
        {
            return;
        }

        foreach (var target in configuration.GetSection("Targets").GetChildren())
        {
            if (!ValidateObject(configuration, target.Path, file, problems, required: true))
            {
                continue;
            }

            try
            {
                var retry = ConfigurationBinding.Bind<RetryOptions>(configuration, target.GetSection("Retry"));
                problems.AddRange(retry.Validate().Select(error => $"{file}: Targets:{target.Key}:{error}"));
            }
            catch (ConfigurationException ex)
            {
                problems.Add(ex.Message);
            }
        }

        if (problems.Count == 0)
        {
            try
            {
                // Building the registry validates every target's own options (each backend's registration).
                using var targets = new ServiceCollection().AddDrOrchestratorTargets(configuration).BuildServiceProvider();
                _ = targets.GetRequiredService<TargetRegistry>();
            }
            catch (ConfigurationException ex)
            {
                problems.Add(ex.Message);
            }
            catch (InvalidOperationException ex)
            {
                problems.Add(ConfigurationBinding.Translate(configuration, "Targets", ex).Message);
            }
        }
    }

    /// <summary>False (with a problem when <paramref name="required"/>) when the section is absent or is not an object.</summary>
    private static bool ValidateObject(IConfiguration configuration, string path, string file, List<string> problems, bool required)
    {
        var section = configuration.GetSection(path);
        if (section.Value is { Length: > 0 } scalar)
        {
            problems.Add($"{file}: {path}: expected an object ({{ ... }}), got '{(scalar.Length <= 60 ? scalar : scalar[..60] + "…")}'");
            return false;
        }

        if (!section.Exists())
        {
            if (required)
            {
                problems.Add(path == CatalogOptions.SectionName
                    ? $"{file}: Catalog: section is missing (e.g. {CatalogExample})"
                    : $"{file}: {path}: section is missing");
            }

            return false;
        }

        return true;
    }
}
