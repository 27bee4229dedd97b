using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>The <c>postgres</c> source type: backups through pg_dump, restores through psql, both fingerprinted.</summary>
public sealed class PostgresEngine(IOptions<PostgresSourceOptions> options, ILogger<PostgresEngine> logger) : IDatabaseEngine
{
    public string Type => DatabaseSource.PostgresType;

    public IBackupSource CreateSource(DatabaseSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new PostgresBackupSource(source, options.Value, logger);
    }

    public Task<DatabaseRestoreResult> RestoreAsync(DatabaseRestoreRequest request, CancellationToken ct) =>
        new PostgresRestorer(options.Value, logger).RestoreAsync(request, ct);

    public IScratchDatabases Scratch(DatabaseSource source, string sandbox) =>
        new PostgresScratchDatabases(PostgresEndpoint.From(source, options.Value));
}
