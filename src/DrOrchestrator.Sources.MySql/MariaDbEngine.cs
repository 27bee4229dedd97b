using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Sources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Sources.MySql;

/// <summary>The <c>mariadb</c> source type (MariaDB and MySQL): mariadb-dump in, the mariadb client out, fingerprints on both sides.</summary>
public sealed class MariaDbEngine(IOptions<MariaDbSourceOptions> options, ILogger<MariaDbEngine> logger) : IDatabaseEngine
{
    public string Type => DatabaseSource.MariaDbType;

    public IBackupSource CreateSource(DatabaseSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new MariaDbBackupSource(source, options.Value, logger);
    }

    public Task<DatabaseRestoreResult> RestoreAsync(DatabaseRestoreRequest request, CancellationToken ct) =>
        new MariaDbRestorer(options.Value, logger).RestoreAsync(request, ct);

    public IScratchDatabases Scratch(DatabaseSource source, string sandbox) =>
        new MariaDbScratchDatabases(MariaDbEndpoint.From(source, options.Value));
}

public static class MariaDbSourceServiceCollectionExtensions
{
    /// <summary>Registers the <c>mariadb</c> source type and its options (<c>Sources:MariaDb</c>).</summary>
    public static IServiceCollection AddMariaDbSource(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MariaDbSourceOptions>().Bind(configuration.GetSection(MariaDbSourceOptions.Section));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDatabaseEngine, MariaDbEngine>());
        return services;
    }
}
