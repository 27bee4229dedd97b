using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Storage.Tests.Emulators;
using Xunit.Abstractions;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// Issue 19 items 5 and 6 end to end on the real emulators and a local target: a truncated
/// leftover under a pack's key (what a server killed mid-upload leaves) never blocks a backup or a
/// copy and `check --read-data` calls it damaged; a primary that was down while a backup ran
/// degraded (minPrimaries: 1) is filled by `copy` and by the next backup, which deduplicates
/// against what the primaries hold instead of uploading everything again.
/// </summary>
[Collection(CloudEmulators.Name)]
public sealed class LaggingAndLeftoverCommandTests : IDisposable
{
    private static readonly Dictionary<string, string> FastRetry = new()
    {
        ["MaxAttempts"] = "2", ["InitialDelay"] = "00:00:00.100", ["MaxDelay"] = "00:00:00.200", ["MaxElapsed"] = "00:00:02",
    };

    private readonly S3rverFixture _s3;
    private readonly AzuriteFixture _azure;
    private readonly string _bucket = "b" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _container = "c" + Guid.NewGuid().ToString("N")[..12];
    private readonly CliSandbox _sandbox;
    private readonly string _source;
    private readonly ITestOutputHelper _output;

    public LaggingAndLeftoverCommandTests(S3rverFixture s3, AzuriteFixture azure, ITestOutputHelper output)
    {
        _output = output;
        _s3 = s3;
        _azure = azure;
        _s3.CreateStoreAsync(_bucket).GetAwaiter().GetResult().Dispose();
        _azure.CreateStoreAsync(_container).GetAwaiter().GetResult();
        _sandbox = new CliSandbox(settings =>
        {
            settings["Targets"] = MultiCloudCommandTests.Targets(_s3, _azure, _bucket, _container, FastRetry);
            // Small packs (~20 for the data below), so "uploaded everything again" and "uploaded
            // only what is new" differ by many objects, not by one.
            settings["Repository"] = new Dictionary<string, int> { ["PackSize"] = 256 << 10, ["ChunkMinSize"] = 64 << 10, ["ChunkAverageSize"] = 128 << 10, ["ChunkMaxSize"] = 512 << 10 };
        });
        _source = Path.Combine(_sandbox.Root, "source");
        Directory.CreateDirectory(_source);
        WriteFiles("base", count: 6, seed: 1);
    }

    public static TheoryData<string> Clouds => ["s3main", "azmain"];

    [Theory]
    [MemberData(nameof(Clouds))]
    public async Task A_truncated_leftover_under_a_pack_key_blocks_no_backup_or_copy_is_overwritten_by_the_copy_and_check_calls_it_damaged(string primary)
    {
        await ApplyAsync($$"""
            targets:
              - { name: {{primary}}, role: primary }
              - { name: vault, role: replica }
            """);
        var clock = Stopwatch.StartNew();
        var first = await _sandbox.RunAsync("backup", "multi");
        var cleanTime = clock.Elapsed;
        Assert.True(first.ExitCode == 0, first.ToString());

        // A server killed while a pack went up leaves its first part under the pack's key; no index names it.
        var store = await CloudStoreAsync(primary);
        var whole = BackupRestoreCommandTests.RandomBytes(3_000_000, seed: 99);
        var leftover = $"data/{Convert.ToHexStringLower(SHA256.HashData(whole))[..2]}/{Convert.ToHexStringLower(SHA256.HashData(whole))}";
        await store.PutAsync(leftover, new MemoryStream(whole[..2_000_000]), CancellationToken.None);
        // A copy killed mid-pack leaves a truncated copy of a real pack on the replica.
        var vaultPack = Directory.EnumerateFiles(Path.Combine(_sandbox.Root, "vault", "data"), "*", SearchOption.AllDirectories).First();
        var good = await File.ReadAllBytesAsync(vaultPack);
        await File.WriteAllBytesAsync(vaultPack, good[..(good.Length / 3)]);

        WriteFiles("more", count: 2, seed: 2);
        clock.Restart();
        var backup = await _sandbox.RunAsync("backup", "multi", "--json");
        var leftoverTime = clock.Elapsed;
        Assert.True(backup.ExitCode == 0, backup.ToString());
        _output.WriteLine($"backup + copy, {primary} primary, vault replica: {cleanTime.TotalSeconds:0.0} s first (clean), {leftoverTime.TotalSeconds:0.0} s second with a 2 MB leftover on the primary and a truncated pack on the replica");
        using (var json = JsonDocument.Parse(backup.Stdout))
        {
            var copy = Assert.Single(json.RootElement.GetProperty("copies").EnumerateArray());
            Assert.True(copy.GetProperty("succeeded").GetBoolean(), copy.ToString());
            Assert.Equal(1, copy.GetProperty("snapshotsCopied").GetArrayLength());
            Assert.Equal([primary, "vault"], json.RootElement.GetProperty("savedOn").EnumerateArray().Select(e => e.GetString()));
            var skipped = Assert.Single(copy.GetProperty("skipped").EnumerateArray()).GetString()!;
            Assert.Contains($": {leftover}: SHA-256 mismatch", skipped, StringComparison.Ordinal);
        }

        Assert.Contains($"drorch: warning: copy to vault: ", backup.Stderr, StringComparison.Ordinal);

        var again = await _sandbox.RunAsync("copy", "multi");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains($"{leftover}: SHA-256 mismatch", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(good, await File.ReadAllBytesAsync(vaultPack));
        Assert.False(File.Exists(Path.Combine(_sandbox.Root, "vault", leftover)));

        var check = await _sandbox.RunAsync("check", primary, "--read-data");
        Assert.True(check.ExitCode == 0, check.ToString());
        var line = Assert.Single(check.Stdout.Split('\n'), l => l.Contains(leftover, StringComparison.Ordinal));
        Assert.StartsWith($"warning: {leftover}: unreferenced pack is damaged: pack content does not match its id", line, StringComparison.Ordinal);
        Assert.Contains("damaged at rest", line, StringComparison.Ordinal);
        var vaultCheck = await _sandbox.RunAsync("check", "vault", "--read-data");
        Assert.True(vaultCheck.ExitCode == 0, vaultCheck.ToString());
        Assert.DoesNotContain("damaged", vaultCheck.Stdout, StringComparison.Ordinal);

        var destination = Path.Combine(_sandbox.Root, "restored");
        var restore = await _sandbox.RunAsync("restore", "multi", "--from", "vault", "--to", destination);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        BackupRestoreCommandTests.AssertSameTree(_source, Path.Combine(destination, "source"));
    }

    [Fact]
    public async Task Copy_fills_a_lagging_primary_from_the_primary_that_has_the_snapshot_not_the_other_way()
    {
        await ApplyLaggingPolicyAsync();
        var initial = await _sandbox.RunAsync("backup", "multi");
        Assert.True(initial.ExitCode == 0, initial.ToString());
        await RunWithAzureDownAsync(WriteAndBackUpDegradedAsync);

        var clock = Stopwatch.StartNew();
        var copy = await _sandbox.RunAsync("copy", "multi");
        _output.WriteLine($"copy catching up the lagging primary azmain: {clock.Elapsed.TotalSeconds:0.0} s");

        Assert.True(copy.ExitCode == 0, copy.ToString());
        var azLine = Assert.Single(copy.Stdout.Split('\n'), l => l.StartsWith("azmain: ", StringComparison.Ordinal));
        Assert.EndsWith(", 1 snapshot copied", azLine.Trim(), StringComparison.Ordinal);
        Assert.Matches("^azmain: [1-9][0-9]* packs, ", azLine);
        Assert.Equal(await SnapshotKeysAsync(_s3.CreateStoreAsync(_bucket, "repo")), await SnapshotKeysAsync(_azure.CreateStoreAsync(_container, "repo")));
        Assert.Equal(["azmain:present", "s3main:present", "vault:present"], await PresenceAsync());

        var destination = Path.Combine(_sandbox.Root, "restored");
        var restore = await _sandbox.RunAsync("restore", "multi", "--from", "azmain", "--to", destination);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        BackupRestoreCommandTests.AssertSameTree(_source, Path.Combine(destination, "source"));
    }

    [Fact]
    public async Task A_backup_after_a_degraded_one_fills_the_lagging_primary_and_uploads_only_what_is_new()
    {
        await ApplyLaggingPolicyAsync();
        var clock = Stopwatch.StartNew();
        var initial = await _sandbox.RunAsync("backup", "multi");
        var initialTime = clock.Elapsed;
        Assert.True(initial.ExitCode == 0, initial.ToString());
        clock.Restart();
        await RunWithAzureDownAsync(WriteAndBackUpDegradedAsync);
        var degradedTime = clock.Elapsed;
        var s3PacksBefore = await KeysAsync(_s3.CreateStoreAsync(_bucket, "repo"), "data/");

        File.WriteAllText(Path.Combine(_source, "small.txt"), "one more line\n");
        clock.Restart();
        var backup = await _sandbox.RunAsync("backup", "multi", "--json");
        _output.WriteLine($"backups, primaries azmain + s3main, vault replica: {initialTime.TotalSeconds:0.0} s first (all up), {degradedTime.TotalSeconds:0.0} s degraded (Azurite stopped and restarted inside), {clock.Elapsed.TotalSeconds:0.0} s next one gathering the degraded run onto azmain");

        Assert.True(backup.ExitCode == 0, backup.ToString());
        using (var json = JsonDocument.Parse(backup.Stdout))
        {
            Assert.Equal("succeeded", json.RootElement.GetProperty("status").GetString());
            // Only the small file and the trees are new: the degraded run's data is on s3main and was
            // gathered onto azmain, so nothing of it is uploaded a second time.
            var bytesNew = Assert.Single(json.RootElement.GetProperty("snapshots").EnumerateArray()).GetProperty("bytesNew").GetInt64();
            Assert.True(bytesNew < 100_000, $"{bytesNew} new bytes for one small file");
        }

        var s3PacksAfter = await KeysAsync(_s3.CreateStoreAsync(_bucket, "repo"), "data/");
        Assert.True(s3PacksAfter.Count - s3PacksBefore.Count <= 2, $"{s3PacksAfter.Count - s3PacksBefore.Count} new packs on s3main for one small file");
        var azPacks = await KeysAsync(_azure.CreateStoreAsync(_container, "repo"), "data/");
        Assert.Equal(s3PacksAfter, azPacks);
        Assert.Equal(await SnapshotKeysAsync(_s3.CreateStoreAsync(_bucket, "repo")), await SnapshotKeysAsync(_azure.CreateStoreAsync(_container, "repo")));
        // Three backups, and the system record the first one brought (the later ones were within its day).
        Assert.Equal(4, (await SnapshotKeysAsync(_azure.CreateStoreAsync(_container, "repo"))).Count);

        var check = await _sandbox.RunAsync("check", "azmain", "--read-data");
        Assert.True(check.ExitCode == 0, check.ToString());
        var destination = Path.Combine(_sandbox.Root, "restored");
        var restore = await _sandbox.RunAsync("restore", "multi", "--from", "azmain", "--to", destination);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        BackupRestoreCommandTests.AssertSameTree(_source, Path.Combine(destination, "source"));
    }

    public void Dispose() => _sandbox.Dispose();

    /// <summary>The lagging primary is listed first: it is the one the backup would read its index from.</summary>
    private Task ApplyLaggingPolicyAsync() => ApplyAsync("""
        targets:
          - { name: azmain, role: primary }
          - { name: s3main, role: primary }
          - { name: vault, role: replica }
        minPrimaries: 1
        """);

    private async Task WriteAndBackUpDegradedAsync()
    {
        WriteFiles("while-down", count: 4, seed: 3);
        var degraded = await _sandbox.RunAsync("backup", "multi", "--json");
        Assert.True(degraded.ExitCode == 0, degraded.ToString());
        using var json = JsonDocument.Parse(degraded.Stdout);
        Assert.Equal("degraded", json.RootElement.GetProperty("status").GetString());
        Assert.StartsWith("azmain: ", json.RootElement.GetProperty("missingPrimaries")[0].GetString(), StringComparison.Ordinal);
    }

    private async Task RunWithAzureDownAsync(Func<Task> action)
    {
        await _azure.StopAsync();
        try
        {
            await action();
        }
        finally
        {
            await _azure.StartAsync();
        }
    }

    private async Task<IObjectStore> CloudStoreAsync(string name) =>
        name == "s3main" ? await _s3.CreateStoreAsync(_bucket, "repo") : await _azure.CreateStoreAsync(_container, "repo");

    private static async Task<List<string>> SnapshotKeysAsync<T>(Task<T> store)
        where T : IObjectStore => await KeysAsync(store, "snapshots/");

    private static async Task<List<string>> KeysAsync<T>(Task<T> opening, string prefix)
        where T : IObjectStore
    {
        var store = await opening;
        try
        {
            var keys = new List<string>();
            await foreach (var info in store.ListAsync(prefix, CancellationToken.None))
            {
                keys.Add(info.Key);
            }

            return [.. keys.Order(StringComparer.Ordinal)];
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }

    private void WriteFiles(string folder, int count, int seed)
    {
        Directory.CreateDirectory(Path.Combine(_source, folder));
        for (var i = 0; i < count; i++)
        {
            File.WriteAllBytes(Path.Combine(_source, folder, $"part-{i}.bin"), BackupRestoreCommandTests.RandomBytes(700_000 + i, seed: (seed * 100) + i));
        }
    }

    private Task ApplyAsync(string targets) => _sandbox.ApplyTargetsPolicyAsync("multi", _source, targets);

    /// <summary>"target:status" of the newest snapshot's presence rows, sorted.</summary>
    private async Task<List<string>> PresenceAsync()
    {
        var run = await _sandbox.RunAsync("snapshots", "multi", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        return [.. json.RootElement.EnumerateArray().Last().GetProperty("targets").EnumerateArray()
            .Select(t => $"{t.GetProperty("name").GetString()}:{t.GetProperty("status").GetString()}").Order(StringComparer.Ordinal)];
    }
}
