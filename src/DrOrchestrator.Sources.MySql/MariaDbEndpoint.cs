using System.Globalization;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Sources;
using MySqlConnector;

namespace DrOrchestrator.Sources.MySql;

/// <summary>Where a MariaDB/MySQL server is and how to log in; <see cref="ToString"/> never shows the password.</summary>
internal sealed record MariaDbEndpoint(string? Host, int Port, string? Socket, string? User, SecretReference? Password, TimeSpan ConnectTimeout)
{
    public static MariaDbEndpoint From(DatabaseSource source, MariaDbSourceOptions options) =>
        new(source.Host, source.Port ?? 3306, source.Socket, source.User, source.Password, options.ConnectTimeout);

    /// <summary>Parses a <c>--to-db</c> reference: <c>host=… port=… user=… database=…</c> (or <c>socket=…</c>); a password is refused.</summary>
    public static (MariaDbEndpoint Endpoint, string Database) ParseReference(string reference, SecretReference? password, MariaDbSourceOptions options)
    {
        const string example = "host=127.0.0.1 port=3306 user=root database=shop_restored";
        var pairs = ConnectionReference.Parse(reference, ["host", "socket", "port", "user", "database"], example);
        var host = pairs.GetValueOrDefault("host");
        var socket = pairs.GetValueOrDefault("socket");
        if (!pairs.TryGetValue("database", out var database) || (host is null && socket is null))
        {
            throw new DatabaseRestoreRefusedException($"--to-db: needs host=… (or socket=…) and database=… (e.g. '{example}')");
        }

        return (new MariaDbEndpoint(host, ConnectionReference.Port(pairs, 3306), socket, pairs.GetValueOrDefault("user"), password, options.ConnectTimeout), database);
    }

    public override string ToString() =>
        (Socket ?? $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}") + (User is null ? "" : $" as {User}");

    public async Task<MySqlConnection> OpenAsync(string? database, string purpose, CancellationToken ct)
    {
        var connection = new MySqlConnection(ConnectionString(database));
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch (Exception e) when (e is MySqlException or SecretNotFoundException or TimeoutException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new SourceFailedException($"{purpose}: cannot connect to MariaDB at {this}{(database is null ? "" : $" (database {database})")}: {e.Message}", e);
        }
    }

    /// <summary>The password goes to the tools in MYSQL_PWD only, never on their command line.</summary>
    public Dictionary<string, string?> ToolEnvironment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal) { ["MYSQL_PWD"] = null };
        if (Password is not null)
        {
            environment["MYSQL_PWD"] = Password.Resolve();
        }

        return environment;
    }

    public IEnumerable<string> ToolArguments()
    {
        yield return "--no-defaults";
        if (Socket is not null)
        {
            yield return "--socket=" + Socket;
        }
        else
        {
            yield return "--host=" + Host;
            yield return "--port=" + Port.ToString(CultureInfo.InvariantCulture);
            yield return "--protocol=TCP";
        }

        if (User is not null)
        {
            yield return "--user=" + User;
        }
    }

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

    private string ConnectionString(string? database)
    {
        var builder = new MySqlConnectionStringBuilder
        {
            UserID = User ?? Environment.UserName,
            Password = Password?.Resolve() ?? "",
            Database = database ?? "",
            Pooling = false,
            ConnectionTimeout = (uint)Math.Max(1, Math.Ceiling(ConnectTimeout.TotalSeconds)),
            DefaultCommandTimeout = 0,
            AllowUserVariables = true,
        };
        if (Socket is not null)
        {
            builder.Server = Socket;
            builder.ConnectionProtocol = MySqlConnectionProtocol.UnixSocket;
        }
        else
        {
            builder.Server = Host;
            builder.Port = (uint)Port;
        }

        return builder.ConnectionString;
    }
}
