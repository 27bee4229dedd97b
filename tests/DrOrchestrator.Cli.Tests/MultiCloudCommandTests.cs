using System.Text.Json;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Storage.Tests.Emulators;

namespace DrOrchestrator.Cli.Tests;

[CollectionDefinition(Name)]
public sealed class CloudEmulators : ICollectionFixture<S3rverFixture>, ICollectionFixture<AzuriteFixture>
{
    public const string Name = "cli-clouds";
}

/// <summary>
/// Multi-target policies end to end against the real emulators (s3rver, Azurite): primaries
/// written in parallel, replica copies with per-target presence, fallback on a corrupt or
/// unreachable copy, and outages during a backup.
/// </summary>
[Collection(CloudEmulators.Name)]
public sealed class MultiCloudCommandTests : IDisposable
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

    public MultiCloudCommandTests(S3rverFixture s3, AzuriteFixture azure)
    {
        _s3 = s3;
        _azure = azure;
        _s3.CreateStoreAsync(_bucket).GetAwaiter().GetResult().Dispose();
        _azure.CreateStoreAsync(_container).GetAwaiter().GetResult();
        _sandbox = new CliSandbox(settings => settings["Targets"] = Targets(_s3, _azure, _bucket, _container, FastRetry));
        _source = Path.Combine(_sandbox.Root, "source");
        Directory.CreateDirectory(Path.Combine(_source, "db"));
        for (var i = 0; i < 6; i++)
        {
            File.WriteAllBytes(Path.Combine(_source, "db", $"part-{i}.bin"), BackupRestoreCommandTests.RandomBytes(700_000 + i, seed: i));
        }

        File.WriteAllText(Path.Combine(_source, "notes.txt"), string.Concat(Enumerable.Repeat("three-two-one\n", 5000)));
    }

    [Fact]
    public async Task Restore_falls_back_to_the_replica_when_one_cloud_is_corrupt_and_the_other_is_down()
    {
        await ApplyAsync("""
            targets:
              - { name: s3main, role: primary }
              - { name: azmain, role: primary }
              - { name: vault, role: replica }
            """);
        var backup = await _sandbox.RunAsync("backup", "multi", "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        using (var json = JsonDocument.Parse(backup.Stdout))
        {
            Assert.Equal("succeeded", json.RootElement.GetProperty("status").GetString());
            var copy = Assert.Single(json.RootElement.GetProperty("copies").EnumerateArray());
            Assert.Equal("vault", copy.GetProperty("target").GetString());
            Assert.True(copy.GetProperty("succeeded").GetBoolean());
        }

        Assert.Equal(["azmain:present", "s3main:present", "vault:present"], await PresenceAsync());

        var corrupted = await CorruptEveryPackAsync(await _s3.CreateStoreAsync(_bucket, "repo"));
        await _azure.StopAsync();
        try
        {
            var destination = Path.Combine(_sandbox.Root, "restored");
            var restore = await _sandbox.RunAsync("restore", "multi", "--to", destination, "--json");

            Assert.True(restore.ExitCode == 0, restore.ToString());
            BackupRestoreCommandTests.AssertSameTree(_source, Path.Combine(destination, "source"));
            using var json = JsonDocument.Parse(restore.Stdout);
            var bad = json.RootElement.GetProperty("badCopies").EnumerateArray().Select(e => e.GetString()!).ToList();
            // Bad copies name the target as configured, not the bucket or container (issue 19 item 9).
            Assert.True(bad.Any(b => b.StartsWith("s3main: ", StringComparison.Ordinal) && corrupted.Any(k => b.Contains(k, StringComparison.Ordinal)) && b.Contains("SHA-256", StringComparison.OrdinalIgnoreCase)), string.Join("\n", bad));
            Assert.Contains(bad, b => b.StartsWith("azmain: ", StringComparison.Ordinal));
            Assert.DoesNotContain(bad, b => b.Contains($"s3:{_bucket}/", StringComparison.Ordinal) || b.Contains($"/{_container}/repo", StringComparison.Ordinal));
            Assert.Contains("bad copy skipped", restore.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            await _azure.StartAsync();
        }
    }

    [Fact]
    public async Task A_down_primary_fails_the_run_naming_it_unless_min_primaries_is_still_met()
    {
        await ApplyAsync("""
            targets:
              - { name: vault, role: primary }
              - { name: azmain, role: primary }
            """);
        await _azure.StopAsync();
        try
        {
            var failed = await _sandbox.RunAsync("backup", "multi");
            Assert.Equal(1, failed.ExitCode);
            Assert.StartsWith("drorch: error: 1 of 2 primary targets usable, policy needs 2: azmain: ", failed.Stderr.Trim(), StringComparison.Ordinal);
            Assert.Empty(await PresenceAsync());

            await ApplyAsync("""
                targets:
                  - { name: vault, role: primary }
                  - { name: azmain, role: primary }
                minPrimaries: 1
                """);
            var degraded = await _sandbox.RunAsync("backup", "multi", "--json");
            Assert.True(degraded.ExitCode == 0, degraded.ToString());
            using var json = JsonDocument.Parse(degraded.Stdout);
            Assert.Equal("degraded", json.RootElement.GetProperty("status").GetString());
            Assert.StartsWith("azmain: ", json.RootElement.GetProperty("missingPrimaries")[0].GetString(), StringComparison.Ordinal);
            Assert.Equal(["azmain:missing", "vault:present"], await PresenceAsync());
        }
        finally
        {
            await _azure.StartAsync();
        }

        var copy = await _sandbox.RunAsync("copy", "multi");
        Assert.True(copy.ExitCode == 0, copy.ToString());
        Assert.Equal(["azmain:present", "vault:present"], await PresenceAsync());
        var check = await _sandbox.RunAsync("check", "azmain", "--read-data");
        Assert.True(check.ExitCode == 0, check.ToString());
    }

    [Fact]
    public async Task An_unreachable_replica_never_fails_the_backup_and_catches_up_later()
    {
        await ApplyAsync("""
            targets:
              - { name: s3main, role: primary }
              - { name: azmain, role: replica }
            """);
        await _azure.StopAsync();
        try
        {
            var backup = await _sandbox.RunAsync("backup", "multi");
            Assert.True(backup.ExitCode == 0, backup.ToString());
            Assert.Contains("copy to azmain failed", backup.Stderr, StringComparison.Ordinal);
            Assert.Equal(["azmain:missing", "s3main:present"], await PresenceAsync());
        }
        finally
        {
            await _azure.StartAsync();
        }

        var catchUp = await _sandbox.RunAsync("copy", "multi");
        Assert.True(catchUp.ExitCode == 0, catchUp.ToString());
        Assert.Equal(["azmain:present", "s3main:present"], await PresenceAsync());
        var restore = await _sandbox.RunAsync("restore", "multi", "--from", "azmain", "--to", Path.Combine(_sandbox.Root, "from-replica"));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        BackupRestoreCommandTests.AssertSameTree(_source, Path.Combine(_sandbox.Root, "from-replica", "source"));
    }

    public void Dispose() => _sandbox.Dispose();

    /// <summary>The three targets of these tests: s3main (s3rver), azmain (Azurite), vault (local, under the sandbox).</summary>
    internal static Dictionary<string, object> Targets(S3rverFixture s3, AzuriteFixture azure, string bucket, string container, Dictionary<string, string> retry) => new()
    {
        ["s3main"] = new Dictionary<string, object>
        {
            ["Type"] = "s3", ["ServiceUrl"] = s3.ServiceUrl, ["ForcePathStyle"] = "true", ["Bucket"] = bucket, ["Prefix"] = "repo",
            ["AccessKeyIdEnvironmentVariable"] = S3rverFixture.AccessKeyVariable, ["SecretAccessKeyEnvironmentVariable"] = S3rverFixture.SecretKeyVariable,
            ["DisableChunkEncoding"] = "true", ["ChecksumsWhenRequiredOnly"] = "true", ["Retry"] = retry,
        },
        ["azmain"] = new Dictionary<string, object>
        {
            ["Type"] = "azure", ["Container"] = container, ["Prefix"] = "repo",
            ["ConnectionStringEnvironmentVariable"] = azure.ConnectionStringVariable, ["UploadChecksum"] = "MD5", ["Retry"] = retry,
        },
        ["vault"] = new Dictionary<string, object> { ["Type"] = "local", ["Path"] = "vault", ["Retry"] = retry },
    };

    private Task ApplyAsync(string targets) => _sandbox.ApplyTargetsPolicyAsync("multi", _source, targets);

    /// <summary>"target:status" of the newest snapshot's presence rows, sorted; empty when there is no snapshot.</summary>
    private async Task<List<string>> PresenceAsync()
    {
        var run = await _sandbox.RunAsync("snapshots", "multi", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        var newest = json.RootElement.EnumerateArray().LastOrDefault();
        return newest.ValueKind == JsonValueKind.Undefined
            ? []
            : [.. newest.GetProperty("targets").EnumerateArray().Select(t => $"{t.GetProperty("name").GetString()}:{t.GetProperty("status").GetString()}").Order(StringComparer.Ordinal)];
    }

    /// <summary>Flips a byte in the middle of every pack of the store; returns the pack keys.</summary>
    private static async Task<List<string>> CorruptEveryPackAsync(IObjectStore store)
    {
        var keys = new List<string>();
        await foreach (var info in store.ListAsync("data/", CancellationToken.None))
        {
            using var copy = new MemoryStream();
            await using (var stream = await store.GetAsync(info.Key, null, CancellationToken.None))
            {
                await stream.CopyToAsync(copy);
            }

            var bytes = copy.ToArray();
            bytes[bytes.Length / 2] ^= 0xFF;
            await store.PutAsync(info.Key, new MemoryStream(bytes), CancellationToken.None);
            keys.Add(info.Key);
        }

        Assert.NotEmpty(keys);
        return keys;
    }
}
