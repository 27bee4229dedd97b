using System.Diagnostics;

namespace DrOrchestrator.Testing.Processes;

/// <summary>Runs a tool to completion and fails with its output when it exits non-zero.</summary>
public static class ProcessRunner
{
    /// <param name="environment">Added to the child's environment (e.g. a password the tool reads from PGPASSWORD).</param>
    public static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{fileName} {string.Join(' ', info.ArgumentList)} did not finish within {timeout}");
        }

        var output = await stdout + await stderr;
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"{fileName} {string.Join(' ', info.ArgumentList)} exited with {process.ExitCode}: {output}");
    }
}
