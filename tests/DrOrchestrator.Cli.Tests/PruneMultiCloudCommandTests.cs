using System.Text.Json;
using DrOrchestrator.Storage.Tests.Emulators;

namespace DrOrchestrator.Cli.Tests;

/// <summary>`drorch prune` on S3 (s3rver), Azure (Azurite) and a pool of two local members, in one policy.</summary>
[Collection(CloudEmulators.Name)]
public sealed class PruneMultiCloudCommandTests : IDisposable
{
    private readonly string _bucket = "b" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _container = "c" + Guid.NewGuid().ToString("N")[..12];
    private readonly CliSandbox _sandbox;
    private readonly string _source;

    public PruneMultiCloudCommandTests(S3rverFixture s3, AzuriteFixture azure)
    {
        s3.CreateStoreAsync(_bucket).GetAwaiter().GetResult().Dispose();
        azure.CreateStoreAsync(_container).GetAwaiter().GetResult();
        _sandbox = new CliSandbox(settings =>
        {
            settings["Repository"] = new Dictionary<string, int> { ["PackSize"] = 1 << 20 };
            settings["Prune"] = new Dictionary<string, string> { ["GracePeriod"] = "00:00:00", ["MaxUnused"] = "10%" };
            settings["Targets"] = new Dictionary<string, object>
            {
                ["s3main"] = new Dictionary<string, object>
                {
                    ["Type"] = "s3", ["ServiceUrl"] = s3.ServiceUrl, ["ForcePathStyle"] = "true", ["Bucket"] = _bucket, ["Prefix"] = "repo",
                    ["AccessKeyIdEnvironmentVariable"] = S3rverFixture.AccessKeyVariable, ["SecretAccessKeyEnvironmentVariable"] = S3rverFixture.SecretKeyVariable,
                    ["DisableChunkEncoding"] = "true", ["ChecksumsWhenRequiredOnly"] = "true",
                },
                ["azmain"] = new Dictionary<string, object>
                {
                    ["Type"] = "azure", ["Container"] = _container, ["Prefix"] = "repo",
                    ["ConnectionStringEnvironmentVariable"] = azure.ConnectionStringVariable, ["UploadChecksum"] = "MD5",
                },
                ["m1"] = new Dictionary<string, object> { ["Type"] = "local", ["Path"] = "m1" },
                ["m2"] = new Dictionary<string, object> { ["Type"] = "local", ["Path"] = "m2" },
                ["spread"] = new Dictionary<string, object>
                {
                    ["Type"] = "pool", ["ReplicationFactor"] = 1,
                    ["Members"] = new[] { new Dictionary<string, object> { ["Target"] = "m1" }, new Dictionary<string, object> { ["Target"] = "m2" } },
                },
            };
        });
        _source = Path.Combine(_sandbox.Root, "source");
        Directory.CreateDirectory(_source);
    }

    [Fact]
    public async Task Prune_removes_the_same_snapshots_and_reclaims_space_on_s3_azure_and_every_pool_member()
    {
        var policy = Path.Combine(_sandbox.Root, "p.yaml");
        File.WriteAllText(policy, $$"""
            name: p
            sources:
              - type: files
                paths: ["{{_source}}"]
            targets:
              - { name: s3main, role: primary }
              - { name: azmain, role: primary }
              - { name: spread, role: replica }
            schedule: { cron: "0 0 2 * * ?", timeZone: UTC }
            rpo: 24h
            rto: 1h
            retention: { keepLast: 2 }
            """);
        Assert.Equal(0, (await _sandbox.RunAsync("policy", "apply", policy)).ExitCode);
        for (var run = 0; run < 4; run++)
        {
            for (var i = 0; i < 10; i++)
            {
                File.WriteAllBytes(Path.Combine(_source, $"f{i}.bin"), BackupRestoreCommandTests.RandomBytes(150_000, seed: (run * 100) + i));
            }

            var backup = await _sandbox.RunAsync("backup", "p");
            Assert.True(backup.ExitCode == 0, backup.ToString());
        }

        var memberBytes = MemberPackBytes();
        var prune = await _sandbox.RunAsync("prune", "p", "--json");

        Assert.True(prune.ExitCode == 0, prune.ToString());
        using (var json = JsonDocument.Parse(prune.Stdout))
        {
            var targets = json.RootElement.GetProperty("targets").EnumerateArray().ToDictionary(t => t.GetProperty("target").GetString()!);
            Assert.Equal(["azmain", "s3main", "spread"], targets.Keys.Order());
            foreach (var (name, target) in targets)
            {
                var figures = target.GetProperty("figures");
                Assert.Equal(2, figures.GetProperty("snapshotsForgotten").GetInt32());
                // Every run replaced all the (incompressible) data: two of four runs kept = about half the bytes.
                Assert.True(figures.GetProperty("packBytesAfter").GetInt64() < figures.GetProperty("packBytesBefore").GetInt64() * 0.55, $"{name}: {figures}");
            }
        }

        Assert.True(MemberPackBytes() < memberBytes * 0.55, $"pool members: {memberBytes} → {MemberPackBytes()} bytes of packs");
        foreach (var target in new[] { "s3main", "azmain", "spread" })
        {
            var check = await _sandbox.RunAsync("check", target, "--read-data");
            Assert.True(check.ExitCode == 0, $"{target}: {check}");
            var listed = await _sandbox.RunAsync("snapshots", "p", "--from", target, "--json");
            using var snapshots = JsonDocument.Parse(listed.Stdout);
            Assert.Equal(2, snapshots.RootElement.GetArrayLength());
            var destination = Path.Combine(_sandbox.Root, "restored-" + target);
            var restore = await _sandbox.RunAsync("restore", "p", "--from", target, "--to", destination);
            Assert.True(restore.ExitCode == 0, $"{target}: {restore}");
            BackupRestoreCommandTests.AssertSameTree(_source, Path.Combine(destination, "source"));
        }

        var catalog = await _sandbox.RunAsync("snapshots", "p", "--json");
        using var rows = JsonDocument.Parse(catalog.Stdout);
        Assert.Equal(2, rows.RootElement.GetArrayLength());
    }

    public void Dispose() => _sandbox.Dispose();

    private long MemberPackBytes() =>
        new[] { "m1", "m2" }.Select(m => Path.Combine(_sandbox.Root, m, "data")).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories)).Sum(f => new FileInfo(f).Length);
}
