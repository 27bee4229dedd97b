using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace DrOrchestrator.Core.Sources;

/// <summary>
/// A database client tool (<c>pg_dump</c>, <c>psql</c>, <c>mariadb-dump</c>, …) run as a child
/// process whose stdout is a dump stream (or whose stdin takes one). Secrets go to the child only
/// through its environment, never its arguments; the last lines of its stderr are kept (bounded)
/// so a failure can carry the tool's own reason, with every secret scrubbed out.
/// </summary>
public sealed class ToolProcess : IAsyncDisposable
{
    private const int TailBytes = 4096;
    private readonly Process _process;
    private readonly string _name;
    private readonly IReadOnlyList<string> _secrets;
    private readonly Task _stderrPump;
    private readonly StringBuilder _stderr = new();

    private ToolProcess(Process process, string name, IReadOnlyList<string> secrets)
    {
        _process = process;
        _name = name;
        _secrets = secrets;
        _stderrPump = Task.Run(PumpStderrAsync);
    }

    /// <summary>True once the tool has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The tool's stdout (its dump).</summary>
    public Stream Output => _process.StandardOutput.BaseStream;

    /// <summary>The tool's stdin (what it restores); close it to signal the end.</summary>
    public Stream Input => _process.StandardInput.BaseStream;

    /// <summary>Starts <paramref name="path"/>; <paramref name="environment"/> adds to (or, with a null value, removes from) the inherited environment.</summary>
    /// <param name="secrets">Values scrubbed from any message built from the tool's output.</param>
    /// <exception cref="SourceFailedException">The tool cannot be started.</exception>
    public static ToolProcess Start(
        string path, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, IReadOnlyList<string> secrets, bool writesInput = false)
    {
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = writesInput,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        try
        {
            var process = Process.Start(info) ?? throw new SourceFailedException($"{Path.GetFileName(path)} could not be started");
            return new ToolProcess(process, Path.GetFileName(path), secrets);
        }
        catch (Win32Exception e)
        {
            throw new SourceFailedException($"{Path.GetFileName(path)} could not be started: {e.Message}", e);
        }
    }

    /// <summary>
    /// Waits for the tool to exit; a non-zero exit (or death by a signal) fails with
    /// <paramref name="what"/>, the exit code and the scrubbed tail of its stderr.
    /// </summary>
    /// <exception cref="SourceFailedException">The tool failed.</exception>
    public async Task WaitForSuccessAsync(string what, CancellationToken ct)
    {
        await _process.WaitForExitAsync(ct).ConfigureAwait(false);
        await _stderrPump.ConfigureAwait(false);
        if (_process.ExitCode != 0)
        {
            var tail = StderrTail();
            throw new SourceFailedException(
                $"{what}: {_name} exited with code {_process.ExitCode}{(tail.Length > 0 ? $": {tail}" : " without a message")}");
        }
    }

    /// <summary>The last lines the tool wrote to stderr, joined by " | ", every secret replaced by ***.</summary>
    public string StderrTail()
    {
        string text;
        lock (_stderr)
        {
            text = _stderr.ToString();
        }

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return Scrub(string.Join(" | ", lines.TakeLast(3)), _secrets);
    }

    /// <summary>Replaces every non-empty secret in <paramref name="text"/> with ***.</summary>
    public static string Scrub(string text, IReadOnlyList<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var secret in (secrets ?? []).Where(s => !string.IsNullOrEmpty(s)).OrderByDescending(s => s.Length))
        {
            text = text.Replace(secret, "***", StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>Kills the tool if it is still running (the run was cancelled or failed elsewhere).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        await _stderrPump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _process.Dispose();
    }

    private async Task PumpStderrAsync()
    {
        var buffer = new char[1024];
        int n;
        while ((n = await _process.StandardError.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            lock (_stderr)
            {
                _stderr.Append(buffer, 0, n);
                if (_stderr.Length > TailBytes * 2)
                {
                    _stderr.Remove(0, _stderr.Length - TailBytes);
                }
            }
        }
    }
}

/// <summary>Finds a client tool, or says which Debian package brings it.</summary>
public static class ClientTools
{
    /// <summary>The first <paramref name="names"/> entry found in <paramref name="directories"/> (in order), else on PATH.</summary>
    /// <exception cref="SourceFailedException">Not found: names the Debian package to install.</exception>
    public static string Locate(IReadOnlyList<string> names, IEnumerable<string> directories, bool searchPath, string debianPackage)
    {
        ArgumentNullException.ThrowIfNull(names);
        var dirs = directories.ToList();
        if (searchPath)
        {
            dirs.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        }

        foreach (var dir in dirs)
        {
            foreach (var name in names)
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new SourceFailedException(
            $"{names[0]} was not found (looked in {(dirs.Count == 0 ? "nothing" : string.Join(", ", dirs.Distinct()))}); install the Debian package {debianPackage}");
    }
}
