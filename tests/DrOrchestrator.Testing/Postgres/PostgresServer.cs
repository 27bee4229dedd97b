using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using DrOrchestrator.Testing.Processes;
using Npgsql;

namespace DrOrchestrator.Testing.Postgres;

/// <summary>
/// A throw-away PostgreSQL server for the whole test run: initdb into a temp dir, start on
/// 127.0.0.1 on a free port (unix socket in the temp dir), stop and delete afterwards.
/// Password authentication (scram) is on, and the password is only in an environment variable,
/// so the tests go through Catalog:PasswordEnvironmentVariable exactly like production.
/// Fails loudly — never skips — when the server binaries are missing. A test collection with a
/// server of its own wraps it in a <c>PostgresCollectionFixture</c> (Fixtures/ServerFixture.cs).
/// </summary>
public class PostgresServer
{
    public const string PasswordVariable = "DRORCH_TEST_CATALOG_PG_PASSWORD";
    public const string User = "drorch";
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(2);

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"drorch-pg-{Guid.NewGuid():N}");
    private readonly string _passwordVariable;
    private string _binDir = "";
    private string? _runAs;
    private int _port;
    private bool _started;

    public PostgresServer()
        : this(PasswordVariable)
    {
    }

    /// <summary>A server whose password goes into <paramref name="passwordVariable"/> (one per test project, so fixtures never share one).</summary>
    public PostgresServer(string passwordVariable)
    {
        _passwordVariable = passwordVariable;
    }

    private string DataDir => Path.Combine(_root, "data");

    /// <summary>The server's bin directory (pg_dump, psql, pgbench, …).</summary>
    public string BinDirectory => _binDir;

    /// <summary>The password (from its environment variable).</summary>
    public string Password => Environment.GetEnvironmentVariable(_passwordVariable) ?? "";

    /// <summary>Creates and starts a server.</summary>
    public static async Task<PostgresServer> StartAsync(string passwordVariable)
    {
        var server = new PostgresServer(passwordVariable);
        try
        {
            await server.InitializeAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Connection string with the password, for the tests' own connections.</summary>
    public string ConnectionStringWithPassword(string database) =>
        new NpgsqlConnectionStringBuilder(ConnectionString(database)) { Password = Password, CommandTimeout = 600 }.ToString();

    /// <summary>Creates an empty database named PREFIX_GUID and returns its name.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}";
        await ExecuteAsync("postgres", $"CREATE DATABASE \"{name}\"");
        return name;
    }

    public async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionStringWithPassword(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a client tool of this server's bin directory (password in its environment); returns stdout+stderr.</summary>
    public Task<string> RunClientAsync(string tool, IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        ProcessRunner.RunAsync(Path.Combine(_binDir, tool), arguments, timeout ?? ToolTimeout, new Dictionary<string, string> { ["PGPASSWORD"] = Password });

    /// <summary>Connection string (no password) for a database on this server.</summary>
    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = _port, Username = User, Database = database, Pooling = false }.ToString();

    /// <summary>The port the server listens on (127.0.0.1).</summary>
    public int Port => _port;

    public async Task InitializeAsync()
    {
        _binDir = PostgresBinaries.Locate();
        _runAs = Environment.IsPrivilegedProcess ? "postgres" : null; // initdb refuses to run as root
        Directory.CreateDirectory(Path.Combine(_root, "sock"));
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        Environment.SetEnvironmentVariable(_passwordVariable, password);
        var pwFile = Path.Combine(_root, "pwfile");
        await File.WriteAllTextAsync(pwFile, password);
        if (_runAs is not null)
        {
            await ProcessRunner.RunAsync("chown", ["-R", $"{_runAs}:", _root], ToolTimeout);
        }

        await RunToolAsync("initdb", ["-D", DataDir, "-U", User, $"--pwfile={pwFile}", "--auth=scram-sha-256", "-E", "UTF8", "--no-sync"]);
        File.Delete(pwFile);
        _port = FreePort();
        await StartServerAsync();
    }

    /// <summary>Creates an empty database and returns its name.</summary>
    public Task<string> CreateDatabaseAsync() => CreateDatabaseAsync("catalog");

    /// <summary>
    /// A hot standby of this server, streaming from it: <c>pg_basebackup -R</c> into its own temp
    /// directory (which writes <c>standby.signal</c> and the primary's connection into
    /// <c>postgresql.auto.conf</c>), started on its own free loopback port. Same user and password.
    /// </summary>
    public async Task<PostgresServer> StartStandbyAsync()
    {
        var standby = new PostgresServer(_passwordVariable) { _binDir = _binDir, _runAs = _runAs };
        try
        {
            await standby.InitializeStandbyAsync(this);
            return standby;
        }
        catch
        {
            await standby.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeStandbyAsync(PostgresServer primary)
    {
        Directory.CreateDirectory(Path.Combine(_root, "sock"));
        if (_runAs is not null)
        {
            await ProcessRunner.RunAsync("chown", ["-R", $"{_runAs}:", _root], ToolTimeout);
        }

        // The password goes on the command line's connection string, not only PGPASSWORD: -R copies the
        // connection it used into primary_conninfo, and the standby has no environment to read it from.
        var primaryConnection = $"host=127.0.0.1 port={primary.Port} user={User} password={primary.Password}";
        await RunToolAsync("pg_basebackup", ["-d", primaryConnection, "-D", DataDir, "-R", "-X", "stream", "-c", "fast", "--no-sync"]);
        _port = FreePort();
        await StartServerAsync();
    }

    private async Task StartServerAsync()
    {
        var serverOptions = $"-p {_port} -k {Path.Combine(_root, "sock")} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off";
        try
        {
            await RunToolAsync("pg_ctl", ["-D", DataDir, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "-o", serverOptions, "start"]);
        }
        catch (InvalidOperationException ex)
        {
            var log = File.Exists(Path.Combine(_root, "server.log")) ? await File.ReadAllTextAsync(Path.Combine(_root, "server.log")) : "(no log)";
            throw new InvalidOperationException($"PostgreSQL did not start: {ex.Message}\nserver.log:\n{log}", ex);
        }

        _started = true;
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_started)
            {
                await RunToolAsync("pg_ctl", ["-D", DataDir, "-m", "immediate", "-w", "stop"]);
            }
        }
        finally
        {
            if (Directory.Exists(_root))
            {
                Directory.Delete(_root, recursive: true);
            }
        }
    }

    private Task<string> RunToolAsync(string tool, IEnumerable<string> arguments)
    {
        var path = Path.Combine(_binDir, tool);
        return _runAs is null
            ? ProcessRunner.RunAsync(path, arguments, ToolTimeout)
            : ProcessRunner.RunAsync("runuser", ["-u", _runAs, "--", path, .. arguments], ToolTimeout);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
