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

    [Fact]
    public async Task An_emptied_member_fails_check_by_name_and_pool_repair_restores_R_copies_and_metadata()
    {
        using var pool = Sandbox(["a", "b", "c"], replicationFactor: 2);
        var apply = await pool.RunAsync("policy", "apply", PolicyFile(pool));
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var backup = await pool.RunAsync("backup", "spread");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var before = PacksPerMember(pool, ["a", "b", "c"]);
        var clean = await pool.RunAsync("check", "spread-pool");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.DoesNotContain("member", clean.Stdout, StringComparison.Ordinal);

        // Member b loses everything (a wiped bucket, a replaced disk).
        foreach (var entry in Directory.EnumerateFileSystemEntries(Path.Combine(pool.Root, "b")))
        {
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }

        var check = await pool.RunAsync("check", "spread-pool", "--read-data");
        Assert.Equal(1, check.ExitCode);
        var packsLine = Assert.Single(check.Stdout.Split('\n'), l => l.StartsWith("error: pool spread-pool: member b lacks ", StringComparison.Ordinal));
        Assert.Contains($"lacks {before["b"].Count} packs placed on it, now below 2 copies", packsLine, StringComparison.Ordinal);
        Assert.Contains("`drorch pool repair spread-pool`", packsLine, StringComparison.Ordinal);
        var metadataLine = Assert.Single(check.Stdout.Split('\n'), l => l.StartsWith("warning: pool spread-pool: member b lacks ", StringComparison.Ordinal));
        Assert.Contains("metadata objects the other members hold (config, index/", metadataLine, StringComparison.Ordinal);
        Assert.DoesNotContain("member a", check.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("member c", check.Stdout, StringComparison.Ordinal);
        Assert.Contains("the repository on spread-pool is damaged", check.Stderr, StringComparison.Ordinal);

        var repair = await pool.RunAsync("pool", "repair", "spread-pool");
        Assert.True(repair.ExitCode == 0, repair.ToString());
        Assert.Equal(before["b"].Order(StringComparer.Ordinal), PacksPerMember(pool, ["b"])["b"].Order(StringComparer.Ordinal));
        Assert.True(File.Exists(Path.Combine(pool.Root, "b", "config")));

        var after = await pool.RunAsync("check", "spread-pool", "--read-data");
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.DoesNotContain("member", after.Stdout, StringComparison.Ordinal);
        var destination = Path.Combine(pool.Root, "restored");
        var restore = await pool.RunAsync("restore", "spread", "--from", "spread-pool", "--to", destination);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        BackupRestoreCommandTests.AssertSameTree(_source, Path.Combine(destination, "source"));
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
