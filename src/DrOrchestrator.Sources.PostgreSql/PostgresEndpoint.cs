using System.Globalization;
using System.Net.Sockets;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Sources;
using Npgsql;

namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>
/// Where a PostgreSQL server is and how to log in, without the password's value in anything
/// printable: <see cref="ToString"/> names host, port and user only. The password is resolved
/// from its reference when a connection or a tool is started.
/// </summary>
internal sealed record PostgresEndpoint(string Host, int Port, string? User, SecretReference? Password, TimeSpan ConnectTimeout)
{
    public static PostgresEndpoint From(DatabaseSource source, PostgresSourceOptions options) =>
        new(source.Socket ?? source.Host!, source.Port ?? 5432, source.User, source.Password, options.ConnectTimeout);

    /// <summary>Parses a <c>--to-db</c> reference (<see cref="ConnectionReference"/>): <c>host</c> (or a socket directory), <c>port</c>, <c>user</c>, <c>database</c>.</summary>
    /// <exception cref="DatabaseRestoreRefusedException">A malformed reference, a password, or no database.</exception>
    public static (PostgresEndpoint Endpoint, string Database) ParseReference(string reference, SecretReference? password, PostgresSourceOptions options)
    {
        const string example = "host=127.0.0.1 port=5432 user=postgres database=orders_restored";
        var pairs = ConnectionReference.Parse(reference, ["host", "port", "user", "database"], example);
        if (!pairs.TryGetValue("host", out var host) || !pairs.TryGetValue("database", out var database))
        {
            throw new DatabaseRestoreRefusedException($"--to-db: needs host=… and database=… (e.g. '{example}')");
        }

        return (new PostgresEndpoint(host, ConnectionReference.Port(pairs, 5432), pairs.GetValueOrDefault("user"), password, options.ConnectTimeout), database);
    }

    public override string ToString() => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}{(User is null ? "" : $" as {User}")}";

    /// <summary>Opens a connection; every failure becomes one line naming the server (never the password).</summary>
    /// <exception cref="SourceFailedException">Unreachable, refused, wrong credentials.</exception>
    public async Task<NpgsqlConnection> OpenAsync(string database, string purpose, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(ConnectionString(database));
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or SecretNotFoundException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new SourceFailedException($"{purpose}: cannot connect to PostgreSQL at {this} (database {database}): {Reason(e)}", e);
        }
    }

    /// <summary>What the client tools need besides their arguments: the password only in their environment.</summary>
    public Dictionary<string, string?> ToolEnvironment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal) { ["PGCONNECT_TIMEOUT"] = ((int)Math.Ceiling(ConnectTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture) };
        if (Password is not null)
        {
            environment["PGPASSWORD"] = Password.Resolve();
        }

        return environment;
    }

    /// <summary>The connection arguments of pg_dump, pg_dumpall and psql (no password: see <see cref="ToolEnvironment"/>).</summary>
    public IEnumerable<string> ToolArguments(string database)
    {
        yield return "--host=" + Host;
        yield return "--port=" + Port.ToString(CultureInfo.InvariantCulture);
        if (User is not null)
        {
            yield return "--username=" + User;
        }

        yield return "--no-password";
        yield return "--dbname=" + database;
    }

    /// <summary>The secret values to scrub from tool output.</summary>
    public IReadOnlyList<string> Secrets()
    {
        try
        {
            return Password is null ? [] : [Password.Resolve()];
        }
        catch (SecretNotFoundException)
        {
            return [];
        }
    }

    private string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Username = User,
        Password = Password?.Resolve(),
        Database = database,
        Pooling = false,
        Timeout = Math.Max(1, (int)Math.Ceiling(ConnectTimeout.TotalSeconds)),
        ApplicationName = "drorch",
        CommandTimeout = 0,
    }.ToString();

    private static string Reason(Exception e) => e switch
    {
        PostgresException pg => pg.MessageText,
        NpgsqlException { InnerException: SocketException socket } => socket.Message,
        NpgsqlException { InnerException: TimeoutException } => "timed out",
        _ => e.Message,
    };
}
