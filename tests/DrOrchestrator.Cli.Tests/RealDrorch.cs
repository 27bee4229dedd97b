using System.Diagnostics;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// The built `drorch` (copied beside the tests) as a separate process: for what only a real
/// process shows — a kill, an exit code after a stack-hungry input, files created in its working
/// directory.
/// </summary>
public static class RealDrorch
{
    /// <summary>Starts drorch with <paramref name="args"/>; output is drained in the background.</summary>
    public static Process Start(string? workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        StartUnder([], workingDirectory, environment, args);

    /// <summary>Starts drorch under <paramref name="launcher"/> (e.g. setpriv with its options), which runs `dotnet drorch.dll args`.</summary>
    public static Process StartUnder(IReadOnlyList<string> launcher, string? workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "drorch.dll");
        Assert.True(File.Exists(dll), $"{dll} not found: the Cli project must be built beside the tests");
        var info = new ProcessStartInfo(launcher.Count > 0 ? launcher[0] : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var word in launcher.Skip(1))
        {
            info.ArgumentList.Add(word);
        }

        if (launcher.Count > 0)
        {
            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        // Not inherited from the test host: a stray DRORCH_CONFIG must not change what a test sees.
        info.Environment.Remove("DRORCH_CONFIG");
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return Process.Start(info)!;
    }

    /// <summary>Runs drorch to completion and returns its exit code and output.</summary>
    public static Task<CliRun> RunAsync(string? workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        RunUnderAsync([], workingDirectory, environment, args);

    /// <summary>Runs drorch to completion under <paramref name="launcher"/> and returns its exit code and output.</summary>
    public static async Task<CliRun> RunUnderAsync(IReadOnlyList<string> launcher, string? workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var process = StartUnder(launcher, workingDirectory, environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs drorch over <paramref name="sandbox"/>'s configuration and key.</summary>
    public static Task<CliRun> RunAsync(CliSandbox sandbox, IReadOnlyDictionary<string, string?>? extraEnvironment, params string[] args) =>
        RunUnderAsync([], sandbox, extraEnvironment, args);

    /// <summary>Runs drorch under <paramref name="launcher"/> over <paramref name="sandbox"/>'s configuration and key.</summary>
    public static Task<CliRun> RunUnderAsync(IReadOnlyList<string> launcher, CliSandbox sandbox, IReadOnlyDictionary<string, string?>? extraEnvironment, params string[] args)
    {
        var environment = new Dictionary<string, string?>(extraEnvironment ?? new Dictionary<string, string?>())
        {
            ["DRORCH_CONFIG"] = sandbox.ConfigPath,
            [sandbox.KeyVariable] = Environment.GetEnvironmentVariable(sandbox.KeyVariable),
        };
        return RunUnderAsync(launcher, sandbox.Root, environment, args);
    }

    /// <summary>The id of a process that has exited (and been reaped): no process has it now, barring reuse.</summary>
    public static async Task<int> DeadProcessIdAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        return process.Id;
    }
}
