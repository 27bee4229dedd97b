using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using DrOrchestrator.Testing.Processes;

namespace DrOrchestrator.Testing.MariaDb;

/// <summary>
/// A throw-away MariaDB server: <c>mariadb-install-db</c> into a temp dir, <c>mariadbd</c> on
/// 127.0.0.1 on a free port (socket in the temp dir), killed and deleted on dispose. A user
/// <see cref="User"/> with a random password (only in the environment variable the owner names)
/// is created through the socket as the OS user (unix_socket authentication). Fails loudly —
/// never skips — when the server is not installed (Debian: mariadb-server).
/// </summary>
public sealed class MariaDbServer : IAsyncDisposable
{
    public const string User = "drorch";
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(2);
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"drorch-maria-{Guid.NewGuid():N}");
    private readonly string _passwordVariable;
    private Process? _server;

    private MariaDbServer(string passwordVariable)
    {
        _passwordVariable = passwordVariable;
    }

    public int Port { get; private set; }

    public string Socket => Path.Combine(_root, "mysqld.sock");

    public string Password => Environment.GetEnvironmentVariable(_passwordVariable) ?? "";

    public static async Task<MariaDbServer> StartAsync(string passwordVariable)
    {
        var server = new MariaDbServer(passwordVariable);
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

    /// <summary>Runs SQL through the socket as the server's superuser.</summary>
    public Task<string> ExecuteAsync(string sql, string? database = null) =>
        ProcessRunner.RunAsync(Tool("mariadb"), ["--no-defaults", $"--socket={Socket}", "--user=root", "--batch", "--skip-column-names", $"--execute={sql}", .. database is null ? Array.Empty<string>() : [database]], ToolTimeout);

    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}";
        await ExecuteAsync($"CREATE DATABASE `{name}`");
        return name;
    }

    private async Task InitializeAsync()
    {
        var daemon = new[] { "/usr/sbin/mariadbd", "/usr/bin/mariadbd" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("mariadbd not found: the MariaDB source tests start their own server; install it with 'apt-get install mariadb-server mariadb-client'");
        Directory.CreateDirectory(_root);
        var data = Path.Combine(_root, "data");
        var runAs = Environment.IsPrivilegedProcess ? "root" : Environment.UserName;
        await ProcessRunner.RunAsync(Tool("mariadb-install-db"), ["--no-defaults", $"--datadir={data}", $"--user={runAs}", "--skip-test-db", "--auth-root-authentication-method=socket"], ToolTimeout);
        Port = FreePort();
        var info = new ProcessStartInfo(daemon)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--no-defaults", $"--datadir={data}", $"--socket={Socket}", $"--port={Port}", "--bind-address=127.0.0.1",
            $"--user={runAs}", $"--pid-file={Path.Combine(_root, "mysqld.pid")}", $"--log-error={Path.Combine(_root, "error.log")}",
            "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=48M", "--skip-log-bin", "--innodb-flush-log-at-trx-commit=0",
        })
        {
            info.ArgumentList.Add(argument);
        }

        _server = Process.Start(info) ?? throw new InvalidOperationException("mariadbd could not be started");
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            try
            {
                await ExecuteAsync("SELECT 1");
                break;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < deadline && !_server.HasExited)
            {
                await Task.Delay(250);
            }
            catch (InvalidOperationException ex)
            {
                var log = File.Exists(Path.Combine(_root, "error.log")) ? await File.ReadAllTextAsync(Path.Combine(_root, "error.log")) : "(no log)";
                throw new InvalidOperationException($"MariaDB did not start: {ex.Message}\nerror.log:\n{log}", ex);
            }
        }

        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        Environment.SetEnvironmentVariable(_passwordVariable, password);
        await ExecuteAsync($"CREATE USER '{User}'@'%' IDENTIFIED BY '{password}'; GRANT ALL PRIVILEGES ON *.* TO '{User}'@'%' WITH GRANT OPTION; CREATE USER '{User}'@'localhost' IDENTIFIED BY '{password}'; GRANT ALL PRIVILEGES ON *.* TO '{User}'@'localhost' WITH GRANT OPTION;");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_server is { HasExited: false })
            {
                _server.Kill(entireProcessTree: true);
                await _server.WaitForExitAsync();
            }

            _server?.Dispose();
        }
        finally
        {
            if (Directory.Exists(_root))
            {
                Directory.Delete(_root, recursive: true);
            }
        }
    }

    private static string Tool(string name) =>
        new[] { "/usr/bin", "/usr/local/bin" }.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"{name} not found; install it with 'apt-get install mariadb-server mariadb-client'");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
