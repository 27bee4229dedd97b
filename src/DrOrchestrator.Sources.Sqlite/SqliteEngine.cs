using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Sources.Sqlite;

/// <summary>The <c>sqlite</c> source type: online backup API, integrity check and fingerprint on both sides.</summary>
public sealed class SqliteEngine(ILogger<SqliteEngine> logger) : IDatabaseEngine
{
    public string Type => DatabaseSource.SqliteType;

    public IBackupSource CreateSource(DatabaseSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new SqliteBackupSource(source, logger);
    }

    public Task<DatabaseRestoreResult> RestoreAsync(DatabaseRestoreRequest request, CancellationToken ct) =>
        SqliteRestorer.RestoreAsync(request, logger, ct);

    public IScratchDatabases Scratch(DatabaseSource source, string sandbox) => new SqliteScratchDatabases(sandbox);
}

public static class SqliteSourceServiceCollectionExtensions
{
    /// <summary>Registers the <c>sqlite</c> source type (it has no options).</summary>
    public static IServiceCollection AddSqliteSource(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDatabaseEngine, SqliteEngine>());
        return services;
    }
}
