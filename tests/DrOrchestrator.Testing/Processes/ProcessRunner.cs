using System.Diagnostics;

<<<<<<<< HEAD:tests/DrOrchestrator.Testing/Processes/ProcessRunner.cs
namespace DrOrchestrator.Testing.Processes;
========
namespace DrOrchestrator.Testing.Databases;
>>>>>>>> 3cc830c (Database sources, step 1-3: a backup-source seam in Core (IBackupSource, SourceBackupRunner commits once, IDatabaseEngine, manifest + fingerprint, item streams verified by SHA-256), policy format for postgres/mariadb/sqlite sources (file:line errors, no password in policy text), and the PostgreSQL source (exported snapshot + pg_dump --snapshot streamed, per-table fingerprint in the same transaction, restore --to-db through psql with fingerprint check); PostgresServer fixture shared via DrOrchestrator.Testing):tests/DrOrchestrator.Testing/Databases/ProcessRunner.cs

/// <summary>Runs a tool to completion and fails with its output when it exits non-zero.</summary>
public static class ProcessRunner
{
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
