using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DrOrchestrator.Storage.Tests.Emulators;

/// <summary>
/// A Node.js storage emulator from tests/node_modules, on 127.0.0.1, a free port and its own temp
/// data directory. Start/stop keep port and data, so tests can simulate an outage. Fails loudly with
/// what to do when Node or the package is missing or the server does not come up.
/// </summary>
public sealed class EmulatorProcess : IAsyncDisposable
{
    // Node loads azurite's ~500 modules before it listens: seconds on an idle host, over a minute
    // on a loaded 2-core one (seen at load 45). A server that never comes up still fails, loudly.
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(180);

    private readonly string _name;
    private readonly string _script;
    private readonly Func<int, string, IReadOnlyList<string>> _arguments;
    private readonly IReadOnlyList<string> _nodeOptions;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    /// <param name="name">For messages, e.g. "s3rver".</param>
    /// <param name="scriptInNodeModules">Path of the entry script relative to tests/node_modules.</param>
    /// <param name="arguments">Server arguments for (port, data directory).</param>
    /// <param name="nodeOptions">Options for node itself, before the script.</param>
    public EmulatorProcess(string name, string scriptInNodeModules, Func<int, string, IReadOnlyList<string>> arguments, IReadOnlyList<string>? nodeOptions = null)
    {
        _name = name;
        _script = Path.Combine(RepositoryPaths.NodeModules, scriptInNodeModules);
        _arguments = arguments;
        _nodeOptions = nodeOptions ?? [];
        DataDirectory = Path.Combine(Path.GetTempPath(), $"drorch-{name}-{Guid.NewGuid():N}");
        Port = FreePort();
    }

    public int Port { get; }

    public string DataDirectory { get; }

    public async Task StartAsync()
    {
        if (!File.Exists(_script))
        {
            throw new InvalidOperationException(
                $"The {_name} emulator is not installed ({_script} is missing). Run `npm ci --prefix tests` in {RepositoryPaths.Root}.");
        }

        Directory.CreateDirectory(DataDirectory);
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = DataDirectory,
        };
        foreach (var argument in _nodeOptions.Append(_script).Concat(_arguments(Port, DataDirectory)))
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start node for {_name}.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"Could not run `node` for the {_name} emulator: {ex.Message}. Install Node.js 20+ and put it on PATH.", ex);
        }

        _process.OutputDataReceived += (_, e) => Remember(e.Data);
        _process.ErrorDataReceived += (_, e) => Remember(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilListeningAsync(_process);
    }

    /// <summary>Stops the server (gracefully where possible, so it flushes its metadata), keeping its data.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        using (process)
        {
            if (!process.HasExited && !OperatingSystem.IsWindows())
            {
                await TerminateAsync(process.Id);
                using var graceful = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await process.WaitForExitAsync(graceful.Token);
                }
                catch (OperationCanceledException)
                {
                    // Did not stop in time: killed below.
                }
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail the run.
        }
    }

    private async Task WaitUntilListeningAsync(Process process)
    {
        var deadline = DateTime.UtcNow + StartupTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw NotUp($"exited with code {process.ExitCode}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw NotUp($"did not listen on 127.0.0.1:{Port} within {StartupTimeout.TotalSeconds:0} s");
    }

    private InvalidOperationException NotUp(string what) => new(
        $"The {_name} emulator {what}. Run `npm ci --prefix tests` in {RepositoryPaths.Root} and check Node.js 20+. "
        + $"Its last output:{Environment.NewLine}{string.Join(Environment.NewLine, _output)}");

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 40 && _output.TryDequeue(out _))
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>SIGTERM lets Azurite save its metadata database; Process.Kill only sends SIGKILL.</summary>
    private static async Task TerminateAsync(int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            UseShellExecute = false,
        });
        if (kill is not null)
        {
            await kill.WaitForExitAsync();
        }
    }
}
