using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using DrOrchestrator.Catalog.Configuration;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DrOrchestrator.Catalog;

/// <summary>
/// Plain ADO connections to the catalog, without EF Core, for the statements every short command
/// runs: the migration check, the policy it acts on, its run's row. EF's first context, the
/// relational model, each query's compilation and the update pipeline cost a command that writes
/// two rows 0.35–0.7 CPU-s and ~25 MiB (measured in docs/decisions.md §68); one parameterised statement costs milliseconds.
/// The statements write exactly what EF writes (the same tables and columns; times as
/// <see cref="UtcMicrosecondsConverter"/> stores them on SQLite and as timestamptz on PostgreSQL;
/// enums lower-case, <see cref="LowerCaseEnumConverter{TEnum}"/>); tests compare the rows.
/// </summary>
public sealed class CatalogConnections(IOptions<CatalogOptions> options)
{
    private const long UnixEpochTicks = 621_355_968_000_000_000;

    public bool IsSqlite => options.Value.Provider == CatalogProvider.Sqlite;

    /// <summary>An open connection; on SQLite with the busy timeout EF's interceptor sets.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var connection = settings.Provider == CatalogProvider.Sqlite ? CreateSqlite(settings) : CreatePostgres(settings);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (settings.Provider == CatalogProvider.Sqlite)
            {
                await ExecuteAsync(connection, null, string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {settings.BusyTimeoutSeconds * 1000};"), cancellationToken).ConfigureAwait(false);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A time as the provider stores it: microseconds since the Unix epoch on SQLite, UTC timestamptz on PostgreSQL.</summary>
    public object Time(DateTimeOffset value)
    {
        var utc = CatalogStore.Normalize(value);
        return IsSqlite ? (utc.UtcTicks - UnixEpochTicks) / 10 : utc;
    }

    public object Time(DateTimeOffset? value) => value is { } v ? Time(v) : DBNull.Value;

    public DateTimeOffset ReadTime(DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return IsSqlite
            ? new DateTimeOffset(UnixEpochTicks + (reader.GetInt64(ordinal) * 10), TimeSpan.Zero)
            : reader.GetFieldValue<DateTimeOffset>(ordinal).ToUniversalTime();
    }

    /// <summary>A time read by <see cref="ScalarAsync"/> (e.g. a <c>MAX</c>), or null: microseconds on SQLite, a UTC timestamp on PostgreSQL.</summary>
    public DateTimeOffset? ScalarTime(object? value) => value switch
    {
        null => null,
        long micros when IsSqlite => new DateTimeOffset(UnixEpochTicks + (micros * 10), TimeSpan.Zero),
        DateTimeOffset time => time.ToUniversalTime(),
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
        _ => throw new InvalidCastException($"a catalog time read as {value.GetType().Name}"),
    };

    /// <summary>Enum members as <see cref="LowerCaseEnumConverter{TEnum}"/> stores them.</summary>
    public static string Name<TEnum>(TEnum value)
        where TEnum : struct, Enum => value.ToString().ToLowerInvariant();

    public static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(parameters);
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    public static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var command = Command(connection, transaction, sql, parameters);
        await using (command.ConfigureAwait(false))
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var command = Command(connection, transaction, sql, parameters);
        await using (command.ConfigureAwait(false))
        {
            var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return value is DBNull ? null : value;
        }
    }

    // One method per provider, never inlined, as in CatalogDbContextConfigurator: an SQLite catalog
    // never loads Npgsql, and the other way round.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static DbConnection CreateSqlite(CatalogOptions settings) =>
        new SqliteConnection(CatalogDbContextConfigurator.SqliteConnectionString(settings));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static DbConnection CreatePostgres(CatalogOptions settings) =>
        new NpgsqlConnection(CatalogDbContextConfigurator.PostgresConnectionString(settings));
}
