using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DrOrchestrator.Server.Tests.Cluster;

/// <summary>
/// One `drorch serve` as its own process (the built drorch.dll beside the tests), listening on a
/// free loopback port; its output is kept for the failure message. Killed on dispose.
/// </summary>
public sealed class ServeNode : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServeNode(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }

    /// <summary>The built drorch.dll beside the tests.</summary>
    public static string Dll
    {
        get
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "drorch.dll");
            Assert.True(File.Exists(dll), $"{dll} not found: the Cli project must be built beside the tests");
            return dll;
        }
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the node wrote (logs go to the console).</summary>
    public string Output => string.Join('\n', _output.TakeLast(60));

    /// <summary>Every line kept (the last 400).</summary>
    public IReadOnlyList<string> Lines => [.. _output];

    /// <summary>Starts `drorch serve --config <paramref name="configPath"/>` and waits until /healthz answers.</summary>
    public static async Task<ServeNode> StartAsync(string configPath, IReadOnlyDictionary<string, string?> environment)
    {
        var dll = Dll;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { dll, "serve", "--config", configPath })
        {
            info.ArgumentList.Add(arg);
        }

        info.WorkingDirectory = Path.GetDirectoryName(configPath)!;
        info.Environment.Remove("DRORCH_CONFIG");
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return await LaunchAsync(info);
    }

    /// <summary>
    /// Starts <paramref name="info"/> (a process that ends up running `drorch serve`) listening on a
    /// free loopback port (set through DRORCH__Server__Urls__0) and waits until /healthz answers.
    /// </summary>
    public static async Task<ServeNode> LaunchAsync(ProcessStartInfo info, int? port = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        port ??= FreePort();
        info.Environment["DRORCH__Server__Urls__0"] = $"http://127.0.0.1:{port}";
        var node = new ServeNode(Process.Start(info)!, new Uri($"http://127.0.0.1:{port}"));
        using var client = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (true)
        {
            Assert.False(node.HasExited, $"drorch serve exited with {(node.HasExited ? node._process.ExitCode : 0)}:\n{node.Output}");
            try
            {
                if ((await client.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK)
                {
                    return node;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // busy starting
            }

            Assert.True(DateTime.UtcNow < deadline, $"drorch serve did not answer /healthz within 180 s:\n{node.Output}");
            await Task.Delay(250);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly as when a node's machine dies.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line.Length > 400 ? line[..400] + " …" : line);
        while (_output.Count > 400)
        {
            _output.TryDequeue(out _);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
