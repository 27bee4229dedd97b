using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// Issue 20 item 14: a backup interrupted with Ctrl-C (SIGINT) at about half way, then run again,
/// uploads only what the first run had not stored yet; no staging file outlives the process.
/// </summary>
public sealed class ResumeAfterInterruptTests(ITestOutputHelper output) : IDisposable
{
    private const int FileCount = 64;
    private const int FileSize = 2 << 20;

    private readonly CliSandbox _sandbox = new(settings =>
        settings["Repository"] = new Dictionary<string, int>
        {
            ["PackSize"] = 1 << 20,
            ["ChunkMinSize"] = 64 << 10,
            ["ChunkAverageSize"] = 256 << 10,
            ["ChunkMaxSize"] = 1 << 20,
        });

    [Fact]
    public async Task A_backup_interrupted_half_way_is_resumed_by_the_next_run_without_uploading_again()
    {
        var source = Path.Combine(_sandbox.Root, "source");
        Directory.CreateDirectory(source);
        for (var i = 0; i < FileCount; i++)
        {
            File.WriteAllBytes(Path.Combine(source, $"file-{i:D2}.bin"), BackupRestoreCommandTests.RandomBytes(FileSize, seed: 500 + i));
        }

        const long whole = (long)FileCount * FileSize; // random content: stored about 1:1
        var apply = await _sandbox.RunAsync("policy", "apply", _sandbox.WritePolicy("big", source));
        Assert.True(apply.ExitCode == 0, apply.ToString());

        using (var process = RealDrorch.Start(null, new Dictionary<string, string?>
        {
            ["DRORCH_CONFIG"] = _sandbox.ConfigPath,
            [_sandbox.KeyVariable] = Environment.GetEnvironmentVariable(_sandbox.KeyVariable),
        }, "backup", "big"))
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            while (!process.HasExited && PackBytes() < whole / 2)
            {
                await Task.Delay(10);
            }

            if (process.HasExited)
            {
                Assert.Fail($"the backup finished before half of it was stored: exit {process.ExitCode}\n{await stdout}\n{await stderr}");
            }

            SendInterrupt(process.Id);
            await process.WaitForExitAsync();
            var run = new CliRun(process.ExitCode, await stdout, await stderr);
            Assert.True(run.ExitCode == 130, $"expected 130 (interrupted): {run}");
        }

        var storedByFirst = PackBytes();
        Assert.Empty(Directory.EnumerateFiles(_sandbox.RepositoryPath, ".tmp-*", SearchOption.AllDirectories));
        var snapshots = Path.Combine(_sandbox.RepositoryPath, "snapshots");
        Assert.True(!Directory.Exists(snapshots) || !Directory.EnumerateFileSystemEntries(snapshots).Any(), "the interrupted run left a snapshot");

        var rerun = await _sandbox.RunAsync("backup", "big", "--json");
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        var uploadedByRerun = PackBytes() - storedByFirst;
        long bytesNew;
        using (var json = JsonDocument.Parse(rerun.Stdout))
        {
            bytesNew = json.RootElement.GetProperty("snapshots")[0].GetProperty("bytesNew").GetInt64();
        }

        output.WriteLine($"interrupted at {storedByFirst:N0} of {whole:N0} bytes stored ({100.0 * storedByFirst / whole:F1} %); "
            + $"the rerun uploaded {uploadedByRerun:N0} bytes of packs ({100.0 * uploadedByRerun / whole:F1} % of the whole), read as new {bytesNew:N0} bytes");
        Assert.True(uploadedByRerun <= whole * 55 / 100, $"the rerun uploaded {uploadedByRerun} of {whole} bytes");
        Assert.True(bytesNew <= whole * 55 / 100, $"the rerun stored {bytesNew} new plain bytes of {whole}");
        // Nothing the first run stored was uploaded again (packs carry ~1 % of headers and sealing).
        Assert.True(storedByFirst + uploadedByRerun <= whole * 102 / 100, $"{storedByFirst} + {uploadedByRerun} bytes stored for {whole}");

        var destination = Path.Combine(_sandbox.Root, "restored");
        var restore = await _sandbox.RunAsync("restore", "big", "--to", destination);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        for (var i = 0; i < FileCount; i++)
        {
            var name = $"file-{i:D2}.bin";
            Assert.Equal(CliSandbox.Sha256(Path.Combine(source, name)), CliSandbox.Sha256(Path.Combine(destination, "source", name)));
        }

        var check = await _sandbox.RunAsync("check", "local", "--read-data");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.DoesNotContain("error:", check.Stdout, StringComparison.Ordinal);
    }

    public void Dispose() => _sandbox.Dispose();

    /// <summary>Bytes of the packs in the repository (committed objects only: staging files live in the root).</summary>
    private long PackBytes()
    {
        var data = Path.Combine(_sandbox.RepositoryPath, "data");
        return Directory.Exists(data)
            ? Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).Sum(SafeLength)
            : 0;
    }

    private static long SafeLength(string file)
    {
        try
        {
            return new FileInfo(file).Length;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>Ctrl-C as a terminal sends it: SIGINT to the process.</summary>
    private static void SendInterrupt(int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-INT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
