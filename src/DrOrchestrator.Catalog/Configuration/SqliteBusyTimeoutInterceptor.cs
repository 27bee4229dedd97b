using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace DrOrchestrator.Catalog.Configuration;

/// <summary>
/// Sets <c>PRAGMA busy_timeout</c> on every SQLite connection EF opens: the CLI and a running
/// server may write the same file, and a writer must wait for the other's lock rather than fail
/// with SQLITE_BUSY. (WAL mode is persistent in the file; <see cref="CatalogMigrator"/> sets it.)
/// </summary>
internal sealed class SqliteBusyTimeoutInterceptor(int seconds) : DbConnectionInterceptor
{
    private readonly string _pragma = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {seconds * 1000};");

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.CommandText = _pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = _pragma;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
