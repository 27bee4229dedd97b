using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration;
using DrOrchestrator.Orchestration.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// What every command action gets: its parse result, the output, and — built on first use —
/// the configuration and the service provider (so `drorch --help` never touches a database).
/// </summary>
public sealed class CommandContext : IAsyncDisposable
{
    private readonly string? _configPath;
    private IConfigurationRoot? _configuration;
    private ServiceProvider? _services;

    public CommandContext(System.CommandLine.ParseResult parseResult, CliOutput output, string? configPath, bool verbose = false)
    {
        ParseResult = parseResult;
        Output = output;
        _configPath = configPath;
        Verbose = verbose;
    }

    /// <summary>`--verbose`: the log lines of the run on stderr, and a failure's details.</summary>
    public bool Verbose { get; }

    public System.CommandLine.ParseResult ParseResult { get; }

    public CliOutput Output { get; }

    /// <summary>
    /// The configuration, validated on first use (<see cref="ConfigurationValidator"/>); the
    /// <c>Catalog</c> section by <see cref="MigrateCatalogAsync"/>, so a restore that needs no
    /// catalog still works when the catalog's settings are broken.
    /// </summary>
    public IConfiguration Configuration => _configuration ??= LoadValidated();

    public IServiceProvider Services => _services ??= BuildServices();

    public T Get<T>()
        where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Brings the catalog schema up to date; every command that uses the catalog calls this first.</summary>
    public Task MigrateCatalogAsync(CancellationToken cancellationToken) =>
        Services.MigrateCatalogAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Creates the folder of the SQLite catalog the configuration names. Only <c>quickstart</c>
    /// calls this, before anything else: it sets a tour up from nothing; every other command
    /// refuses a catalog under a missing folder rather than create folders from a typo.
    /// </summary>
    public void CreateCatalogFolder()
    {
        if (_configuration is null && ConfigurationValidator.SqliteCatalogPath(ConfigurationLoader.Load(_configPath)) is { } catalog)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(catalog)!);
        }
    }

    private IConfigurationRoot LoadValidated()
    {
        var configuration = ConfigurationLoader.Load(_configPath);
        ConfigurationValidator.Validate(configuration);
        return configuration;
    }

    private ServiceProvider BuildServices()
    {
        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            // A command's own lines (results, warnings, the one `drorch: error:` line) are the whole
            // story by default, whatever the configuration's Logging section says: that section is
            // for `serve`. Only --verbose adds the log, on stderr so stdout stays clean for --json.
            if (Verbose)
            {
                logging.SetMinimumLevel(LogLevel.Warning);
                logging.AddFilter("DrOrchestrator", LogLevel.Debug);
                logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
            }
        });
        services.AddDrOrchestratorOrchestration(Configuration);
        // No ValidateOnBuild: it builds the call site of every registered service, loading the
        // types of all of them (EF Core's factory, every use case) for a command that resolves a
        // handful; the same registrations are validated on build by the Orchestration tests'
        // sandbox, and a missing one still fails here, on first resolution (docs/decisions.md §68).
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false, ValidateScopes = false });
    }
}
