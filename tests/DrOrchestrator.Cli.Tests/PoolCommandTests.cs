using System.Text.Json;

namespace DrOrchestrator.Cli.Tests;

/// <summary>A pool target over local members: spread, replication factor, and rebalancing after a new member joins.</summary>
public sealed class PoolCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("drorch-pool-").FullName;
    private readonly string _source;

    public PoolCommandTests()
    {
        _source = Path.Combine(_root, "source");
        Directory.CreateDirectory(_source);
        for (var i = 0; i < 24; i++)
        {
            File.WriteAllBytes(Path.Combine(_source, $"f{i:D2}.bin"), BackupRestoreCommandTests.RandomBytes(300_000, seed: 100 + i));
        }
    }

    [Fact]
    public async Task Pool_spreads_packs_with_R_copies_and_rebalance_moves_only_what_changed()
    {
        using var two = Sandbox(["a", "b", "c"], replicationFactor: 2);
        var apply = await two.RunAsync("policy", "apply", PolicyFile(two));
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var backup = await two.RunAsync("backup", "spread");
        Assert.True(backup.ExitCode == 0, backup.ToString());

        var before = PacksPerMember(two, ["a", "b", "c"]);
        var packs = before.Values.SelectMany(p => p).Distinct().ToList();
        Assert.True(packs.Count >= 20, $"expected many packs, got {packs.Count}");
        Assert.All(packs, p => Assert.Equal(2, before.Count(m => m.Value.Contains(p))));
        Assert.All(["a", "b", "c"], m => Assert.True(File.Exists(Path.Combine(two.Root, m, "config")), $"member {m} lacks the config"));

        // A fourth member joins: the same sandbox folder, a configuration with one more member.
        using var four = Sandbox(["a", "b", "c", "d"], replicationFactor: 2, root: two.Root, keyVariable: two.KeyVariable);
        var rebalance = await four.RunAsync("pool", "rebalance", "spread-pool");
        Assert.True(rebalance.ExitCode == 0, rebalance.ToString());

        var after = PacksPerMember(four, ["a", "b", "c", "d"]);
        Assert.All(packs, p => Assert.Equal(2, after.Count(m => m.Value.Contains(p))));
        Assert.NotEmpty(after["d"]);
        var moved = packs.Count(p => !before.Where(m => m.Value.Contains(p)).Select(m => m.Key).Order().SequenceEqual(after.Where(m => m.Value.Contains(p)).Select(m => m.Key).Order()));
        Assert.True(moved < packs.Count, "rebalance moved every pack; only those placed on the new member should move");
        Assert.All(packs.Where(p => !after["d"].Contains(p)), p =>
            Assert.True(before.Where(m => m.Value.Contains(p)).Select(m => m.Key).Order().SequenceEqual(after.Where(m => m.Value.Contains(p)).Select(m => m.Key).Order())));

        var check = await four.RunAsync("check", "spread-pool", "--read-data");
        Assert.True(check.ExitCode == 0, check.ToString());
        var restore = await four.RunAsync("restore", "spread", "--from", "spread-pool", "--to", Path.Combine(four.Root, "restored"));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        BackupRestoreCommandTests.AssertSameTree(_source, Path.Combine(four.Root, "restored", "source"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private CliSandbox Sandbox(string[] members, int replicationFactor, string? root = null, string? keyVariable = null) =>
        new(settings =>
        {
            var targets = members.ToDictionary(m => m, m => (object)new Dictionary<string, string> { ["Type"] = "local", ["Path"] = m });
            targets["spread-pool"] = new Dictionary<string, object>
            {
                ["Type"] = "pool",
                ["ReplicationFactor"] = replicationFactor,
                ["Members"] = members.Select(m => new Dictionary<string, object> { ["Target"] = m, ["Weight"] = 1 }).ToList(),
            };
            settings["Targets"] = targets;
            // Pack ids are hashes of encrypted bytes, so placements differ on every run. With ~8 packs
            // the new member got none about once in 250 runs (each pack misses it with p = 1/2);
            // 256 KiB packs make ~30 of them, and that chance ~1e-9.
            settings["Repository"] = new Dictionary<string, int> { ["PackSize"] = 256 << 10, ["ChunkMinSize"] = 64 << 10, ["ChunkAverageSize"] = 128 << 10, ["ChunkMaxSize"] = 512 << 10 };
        }, root ?? Path.Combine(_root, "install"), keyVariable);

    private string PolicyFile(CliSandbox sandbox)
    {
        var path = Path.Combine(sandbox.Root, "spread.yaml");
        File.WriteAllText(path, $$"""
            name: spread
            sources:
              - type: files
                paths: ["{{_source}}"]
            targets:
              - { name: spread-pool, role: primary }
            schedule: { cron: "0 0 * * * ?", timeZone: UTC }
            rpo: 1h
            rto: 1h
            """);
        return path;
    }

    private static Dictionary<string, HashSet<string>> PacksPerMember(CliSandbox sandbox, string[] members) =>
        members.ToDictionary(
            m => m,
            m => Directory.Exists(Path.Combine(sandbox.Root, m, "data"))
                ? Directory.EnumerateFiles(Path.Combine(sandbox.Root, m, "data"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).OfType<string>().ToHashSet()
                : []);
}
