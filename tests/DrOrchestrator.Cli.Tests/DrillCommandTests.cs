using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// `drorch drill` through the front door: per-target results and exit code, the JSON contract,
/// and the real process killed with SIGKILL mid-drill — its sandbox stays (no code ran) until
/// the next drill removes it.
/// </summary>
public sealed class DrillCommandTests : IDisposable
{
    private readonly CliSandbox _sandbox = new(settings =>
    {
        ((Dictionary<string, object>)settings["Targets"])["vault"] = new Dictionary<string, string> { ["Type"] = "local", ["Path"] = "vault" };
        settings["Drill"] = new Dictionary<string, string> { ["Root"] = "drills" };
    });

    private readonly string _source;

    public DrillCommandTests()
    {
        _source = Path.Combine(_sandbox.Root, "source");
        Directory.CreateDirectory(Path.Combine(_source, "parts"));
        for (var i = 0; i < 24; i++)
        {
            File.WriteAllBytes(Path.Combine(_source, "parts", $"part-{i:D2}.bin"), BackupRestoreCommandTests.RandomBytes(2_500_000 + i, seed: 300 + i));
        }

        File.WriteAllText(Path.Combine(_source, "readme.txt"), "drill me\n");
    }

    private string DrillRoot => Path.Combine(_sandbox.Root, "drills");

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task A_drill_of_a_damaged_replica_exits_1_and_names_the_damaged_files_while_the_primary_passes()
    {
        await ApplyAndBackUpToBothAsync();
        var healthy = await _sandbox.RunAsync("drill", "guarded", "--json");
        Assert.True(healthy.ExitCode == 0, healthy.ToString());
        using (var json = JsonDocument.Parse(healthy.Stdout))
        {
            Assert.Equal(["local", "vault"], json.RootElement.EnumerateArray().Select(d => d.GetProperty("target").GetString()));
            Assert.All(json.RootElement.EnumerateArray(), d =>
            {
                Assert.Equal("passed", d.GetProperty("outcome").GetString());
                Assert.Equal(25, d.GetProperty("filesVerified").GetInt64());
                Assert.True(d.GetProperty("rtoAchievedSeconds").GetDouble() > 0);
                Assert.Equal(3600, d.GetProperty("rtoTargetSeconds").GetDouble());
            });
        }

        var pack = Directory.GetFiles(Path.Combine(_sandbox.Root, "vault", "data"), "*", SearchOption.AllDirectories).MaxBy(p => new FileInfo(p).Length)!;
        var bytes = File.ReadAllBytes(pack);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(pack, bytes);

        var drill = await _sandbox.RunAsync("drill", "guarded", "--json");

        Assert.True(drill.ExitCode == 1, drill.ToString());
        using var result = JsonDocument.Parse(drill.Stdout);
        var byTarget = result.RootElement.EnumerateArray().ToDictionary(d => d.GetProperty("target").GetString()!);
        Assert.Equal("passed", byTarget["local"].GetProperty("outcome").GetString());
        Assert.Equal("failed", byTarget["vault"].GetProperty("outcome").GetString());
        var mismatches = byTarget["vault"].GetProperty("mismatches").EnumerateArray().ToList();
        Assert.NotEmpty(mismatches);
        foreach (var mismatch in mismatches)
        {
            var path = mismatch.GetProperty("path").GetString()!;
            Assert.StartsWith("source/parts/part-", path, StringComparison.Ordinal);
            Assert.Equal(CliSandbox.Sha256(Path.Combine(_sandbox.Root, path)).ToLowerInvariant(), mismatch.GetProperty("expected").GetString());
        }

        Assert.Equal(25 - mismatches.Count, byTarget["vault"].GetProperty("filesVerified").GetInt64());
        var text = await _sandbox.RunAsync("drill", "guarded", "--from", "vault");
        Assert.True(text.ExitCode == 1, text.ToString());
        Assert.Contains($"vault: mismatch: {mismatches[0].GetProperty("path").GetString()}: not restored: ", text.Stderr, StringComparison.Ordinal);
        Assert.Contains("drill of guarded: vault failed", text.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(DrillRoot));
    }

    [Fact]
    public async Task Bad_drill_options_are_refused_with_a_one_line_reason_and_exit_2()
    {
        await ApplyAndBackUpToBothAsync();

        var sample = await _sandbox.RunAsync("drill", "guarded", "--sample", "0%");
        var window = await _sandbox.RunAsync("drill", "guarded", "--random-within", "soon");
        var target = await _sandbox.RunAsync("drill", "guarded", "--from", "nowhere");

        Assert.True(sample.ExitCode == 2, sample.ToString());
        Assert.Contains("--sample: '0%' is not a file count or a percentage", sample.Stderr, StringComparison.Ordinal);
        Assert.True(window.ExitCode == 2, window.ToString());
        Assert.Contains("--random-within: 'soon' is not a duration", window.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, target.ExitCode);
        Assert.Contains("nowhere", target.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Killing_drorch_mid_drill_leaves_no_sandbox_after_the_next_drill()
    {
        await ApplyAndBackUpToBothAsync();
        using var process = RealDrorch.Start(null, new Dictionary<string, string?>
        {
            ["DRORCH_CONFIG"] = _sandbox.ConfigPath,
            [_sandbox.KeyVariable] = Environment.GetEnvironmentVariable(_sandbox.KeyVariable),
        }, "drill", "guarded", "--from", "local");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // SIGKILL as soon as the restore is writing into the sandbox: no finally, no handler runs.
        string? sandbox = null;
        var clock = Stopwatch.StartNew();
        while (sandbox is null && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            sandbox = Directory.Exists(DrillRoot)
                ? Directory.EnumerateDirectories(DrillRoot, "drill-*").FirstOrDefault(d => Directory.Exists(Path.Combine(d, "source", "parts")))
                : null;
            if (sandbox is null)
            {
                await Task.Delay(2);
            }
        }

        Assert.True(sandbox is not null, "the drill never wrote into a sandbox before it ended");
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();

        Assert.NotEqual(0, process.ExitCode);
        Assert.True(Directory.Exists(sandbox), "the killed drill's sandbox should still be there: nothing ran after SIGKILL");
        Assert.StartsWith($"drill-{process.Id.ToString(CultureInfo.InvariantCulture)}-", Path.GetFileName(sandbox), StringComparison.Ordinal);

        var next = await _sandbox.RunAsync("drill", "guarded", "--from", "local", "--json");

        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.False(Directory.Exists(sandbox));
        Assert.Empty(Directory.EnumerateFileSystemEntries(DrillRoot));
    }

    private async Task ApplyAndBackUpToBothAsync()
    {
        var path = _sandbox.WritePolicy("guarded", _source, target: "local");
        File.WriteAllText(path, File.ReadAllText(path).Replace("    role: primary\n", "    role: primary\n  - name: vault\n    role: replica\n", StringComparison.Ordinal));
        var apply = await _sandbox.RunAsync("policy", "apply", path);
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var backup = await _sandbox.RunAsync("backup", "guarded");
        Assert.True(backup.ExitCode == 0, backup.ToString());
    }
}
