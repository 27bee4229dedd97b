using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using DrOrchestrator.Server.Tests.Cluster;

namespace DrOrchestrator.Server.Tests;

/// <summary>
/// The README's promise: `./build.sh serve-demo` — one command on the embedded default — shows a
/// scheduled backup within a minute. The checkout's own build.sh and appsettings.json run in a
/// copy of the checkout; only `./drorch` (which would publish the build first) runs the drorch
/// built beside the tests.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServeDemoTests
{
    [Fact]
    public async Task Serve_demo_runs_a_scheduled_backup_within_a_minute_that_the_readme_commands_see_and_that_restores_byte_for_byte()
    {
        var checkout = Directory.CreateTempSubdirectory("drorch-demo-").FullName;
        try
        {
            var repository = RepositoryRoot();
            File.Copy(Path.Combine(repository, "build.sh"), Path.Combine(checkout, "build.sh"));
            File.Copy(Path.Combine(repository, "appsettings.json"), Path.Combine(checkout, "appsettings.json"));
            var wrapper = Path.Combine(checkout, "drorch");
            File.WriteAllText(wrapper, $"#!/usr/bin/env bash\nexec dotnet '{ServeNode.Dll}' \"$@\"\n");
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = checkout };
            info.ArgumentList.Add("./build.sh");
            info.ArgumentList.Add("serve-demo");
            info.Environment.Remove("DRORCH_CONFIG");
            info.Environment.Remove("DRORCH_DEMO_KEY");
            await using var demo = await ServeNode.LaunchAsync(info);

            // "Within a minute" counts from the service answering: what comes before is dotnet
            // starting twice (policy apply, serve), minutes on a machine as loaded as the test runs'.
            var clock = Stopwatch.StartNew();

            // The README's second terminal: its curl with the demo key.
            using var api = new HttpClient { BaseAddress = demo.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "demo-admin-key");
            var snapshots = await ServerSandbox.WaitForAsync(
                async () => JsonDocument.Parse(await api.GetStringAsync("/api/snapshots?policy=demo")).RootElement.EnumerateArray().ToList(),
                s => s.Count > 0, TimeSpan.FromSeconds(60) - clock.Elapsed, "a scheduled snapshot of the demo policy", () => demo.Output);
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(60));
            var runs = JsonDocument.Parse(await api.GetStringAsync("/api/runs?policy=demo")).RootElement.EnumerateArray().ToList();
            Assert.Contains(runs, r => r.GetProperty("kind").GetString() == "backup" && r.GetProperty("status").GetString() == "succeeded");
            Assert.Contains(demo.Lines, l => l.Contains("Policy demo: Backup fire due", StringComparison.Ordinal) && l.Contains("enqueued as job", StringComparison.Ordinal));
            // The run is complete in the catalog a moment before the job logs that it finished.
            await ServerSandbox.WaitForAsync(
                () => Task.FromResult(demo.Lines), lines => lines.Any(l => l.Contains("backup of policy demo finished: succeeded", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30), "the log line 'backup of policy demo finished: succeeded'", () => demo.Output);
            var fire = JsonDocument.Parse(await api.GetStringAsync("/api/fires?policy=demo")).RootElement.EnumerateArray().First();
            Assert.Equal("schedule", JsonDocument.Parse(await api.GetStringAsync($"/api/jobs/{fire.GetProperty("jobId").GetString()}")).RootElement.GetProperty("requestedBy").GetString());

            // The CLI reads the same catalog while the service runs, and restores the scheduled snapshot.
            var id = snapshots[0].GetProperty("id").GetString()!;
            var restored = Path.Combine(checkout, "restored");
            var restore = await RunAsync(checkout, wrapper, "restore", "demo", "--snapshot", id, "--to", restored);
            Assert.True(restore.ExitCode == 0, restore.Output);
            var source = Path.Combine(checkout, "data", "demo-source");
            Assert.Equal(20, Directory.GetFiles(source).Length);
            Assert.Equal(Hashes(source), Hashes(Path.Combine(restored, "demo-source")));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(checkout, recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "build.sh")) && File.Exists(Path.Combine(dir.FullName, "appsettings.json")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no checkout (build.sh + appsettings.json) above {AppContext.BaseDirectory}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string directory, string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = directory };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("DRORCH_CONFIG");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private static SortedDictionary<string, string> Hashes(string root) => new(
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))),
        StringComparer.Ordinal);
}
