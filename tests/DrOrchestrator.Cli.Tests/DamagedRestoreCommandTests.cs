using System.Text.Json;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// A restore that meets damaged data: no file in the destination may differ from its recorded
/// SHA-256, every file that could not be restored is listed (and absent under its name), the
/// others are restored; with a replica configured, the damaged parts come from the replica.
/// </summary>
public sealed class DamagedRestoreCommandTests : IDisposable
{
    private readonly CliSandbox _sandbox = new(settings =>
        ((Dictionary<string, object>)settings["Targets"])["vault"] = new Dictionary<string, string> { ["Type"] = "local", ["Path"] = "vault" });

    private readonly string _source;

    public DamagedRestoreCommandTests()
    {
        _source = Path.Combine(_sandbox.Root, "source");
        Directory.CreateDirectory(Path.Combine(_source, "parts"));
        for (var i = 0; i < 40; i++)
        {
            File.WriteAllBytes(Path.Combine(_source, "parts", $"part-{i:D2}.bin"), BackupRestoreCommandTests.RandomBytes(150_000 + i, seed: 100 + i));
        }

        var twin = BackupRestoreCommandTests.RandomBytes(200_000, seed: 7);
        File.WriteAllBytes(Path.Combine(_source, "twin-a.bin"), twin);
        File.WriteAllBytes(Path.Combine(_source, "twin-b.bin"), twin);
        // ~16 chunks of ~1 MiB: the flips, one every 2 MiB of a pack, hit at most about half of
        // them whatever order they were packed in (a 6 MiB file of three 2 MiB chunks could lose all three).
        File.WriteAllBytes(Path.Combine(_source, "large.bin"), BackupRestoreCommandTests.RandomBytes(16 * 1024 * 1024 + 5, seed: 9));
    }

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task A_flipped_byte_lists_every_file_not_restored_and_leaves_no_damaged_file_under_its_name()
    {
        await BackUpAndDamageThePrimaryAsync();

        var destination = Path.Combine(_sandbox.Root, "from-primary");
        var restore = await _sandbox.RunAsync("restore", "guarded", "--from", "local", "--to", destination, "--json");

        Assert.True(restore.ExitCode == 1, restore.ToString());
        using var json = JsonDocument.Parse(restore.Stdout);
        var failures = json.RootElement.GetProperty("failures").EnumerateArray()
            .ToDictionary(f => f.GetProperty("path").GetString()!, f => f.GetProperty("message").GetString()!);
        Assert.True(failures.Count >= 2, restore.ToString());
        Assert.All(failures.Values, m => Assert.Contains("is corrupt", m, StringComparison.Ordinal));
        foreach (var (path, message) in failures)
        {
            Assert.Contains($"drorch: error: not restored: {path}: {message}", restore.Stderr, StringComparison.Ordinal);
        }

        AssertPartition(destination, failures.Keys, kept: []);
        Assert.Equal(SourceFiles().Count - failures.Count, json.RootElement.GetProperty("files").GetInt64());
    }

    [Fact]
    public async Task Keep_damaged_keeps_them_under_a_name_that_says_so()
    {
        await BackUpAndDamageThePrimaryAsync();

        var destination = Path.Combine(_sandbox.Root, "kept");
        var restore = await _sandbox.RunAsync("restore", "guarded", "--from", "local", "--to", destination, "--keep-damaged");

        Assert.True(restore.ExitCode == 1, restore.ToString());
        var failed = restore.Stderr.Split('\n').Where(l => l.StartsWith("drorch: error: not restored: ", StringComparison.Ordinal))
            .Select(l => l["drorch: error: not restored: ".Length..]).ToDictionary(l => l.Split(": ")[0], l => l);
        Assert.NotEmpty(failed);
        Assert.Contains($"{failed.Count} {(failed.Count == 1 ? "file" : "files")} could not be restored", restore.Stderr, StringComparison.Ordinal);

        // What was read of a failed file is kept, and said so; a file none of whose chunks could be read has nothing to keep, and says that.
        var kept = failed.Where(f => f.Value.EndsWith($"(kept as {Path.Combine(destination, f.Key)}.drorch-damaged)", StringComparison.Ordinal)).Select(f => f.Key).ToList();
        Assert.All(failed.Where(f => !kept.Contains(f.Key)), f => Assert.EndsWith("(none of it was read: nothing kept)", f.Value, StringComparison.Ordinal));
        if (failed.ContainsKey("source/large.bin"))
        {
            Assert.Contains("source/large.bin", kept); // several chunks: only the damaged ones are missing
        }
        AssertPartition(destination, failed.Keys, kept);
    }

    [Fact]
    public async Task With_a_replica_the_damaged_packs_are_read_from_it_and_everything_is_restored()
    {
        await BackUpAndDamageThePrimaryAsync();

        var destination = Path.Combine(_sandbox.Root, "from-both");
        var restore = await _sandbox.RunAsync("restore", "guarded", "--to", destination, "--json");

        Assert.True(restore.ExitCode == 0, restore.ToString());
        using var json = JsonDocument.Parse(restore.Stdout);
        Assert.Empty(json.RootElement.GetProperty("failures").EnumerateArray());
        Assert.Contains(json.RootElement.GetProperty("badCopies").EnumerateArray(), b => b.GetString()!.Contains("SHA-256", StringComparison.OrdinalIgnoreCase));
        BackupRestoreCommandTests.AssertSameTree(_source, Path.Combine(destination, "source"));
    }

    [Fact]
    public async Task A_damaged_directory_listing_fails_that_directory_and_everything_else_is_restored()
    {
        await _sandbox.ApplyAndBackUpAsync("listing", _source);
        // The backup's one tree pack (a few KiB; data packs are MiB): its first blob is the deepest
        // listing, source/parts, stored before its parent (trees are encoded bottom-up, the root
        // last). The system record written after the backup has small packs too: the oldest small one is the backup's.
        var treePack = Directory.GetFiles(Path.Combine(_sandbox.RepositoryPath, "data"), "*", SearchOption.AllDirectories)
            .Where(p => new FileInfo(p).Length < 64 * 1024).MinBy(File.GetLastWriteTimeUtc)!;
        Assert.NotNull(treePack);
        var bytes = File.ReadAllBytes(treePack);
        bytes[40] ^= 0x40; // past the 12-byte nonce, inside the first sealed tree
        File.WriteAllBytes(treePack, bytes);

        var destination = Path.Combine(_sandbox.Root, "without-parts");
        var restore = await _sandbox.RunAsync("restore", "listing", "--to", destination, "--json");

        Assert.True(restore.ExitCode == 1, restore.ToString());
        using var json = JsonDocument.Parse(restore.Stdout);
        var failure = Assert.Single(json.RootElement.GetProperty("failures").EnumerateArray());
        Assert.Equal("source/parts", failure.GetProperty("path").GetString());
        var message = failure.GetProperty("message").GetString()!;
        Assert.StartsWith("directory listing (tree ", message, StringComparison.Ordinal);
        Assert.Contains("cannot be read, nothing in it restored: ", message, StringComparison.Ordinal);
        Assert.Contains("is corrupt", message, StringComparison.Ordinal);
        Assert.Contains($"drorch: error: not restored: source/parts: {message}", restore.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(destination, "source", "parts")));
        AssertPartition(destination, SourceFiles().Keys.Where(k => k.StartsWith("source/parts/", StringComparison.Ordinal)), kept: []);
        Assert.Equal(3, json.RootElement.GetProperty("files").GetInt64());
    }

    /// <summary>Backs up to the primary (local) and the replica (vault), then damages every data pack of the primary.</summary>
    private async Task BackUpAndDamageThePrimaryAsync()
    {
        var path = _sandbox.WritePolicy("guarded", _source, target: "local");
        File.WriteAllText(path, File.ReadAllText(path).Replace("    role: primary\n", "    role: primary\n  - name: vault\n    role: replica\n", StringComparison.Ordinal));
        var apply = await _sandbox.RunAsync("policy", "apply", path);
        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Contains("vault:replica", apply.Stdout, StringComparison.Ordinal);
        var backup = await _sandbox.RunAsync("backup", "guarded", "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        using var json = JsonDocument.Parse(backup.Stdout);
        Assert.True(Assert.Single(json.RootElement.GetProperty("copies").EnumerateArray()).GetProperty("succeeded").GetBoolean(), backup.ToString());
        FlipBytesInEveryDataPack(_sandbox.RepositoryPath);
    }

    /// <summary>
    /// One flipped byte every 2 MiB through the first seven eighths of every data pack: inside
    /// data blobs (the header is at the end; trees have packs of their own, a few KiB here, left
    /// intact). Spread so that several files are hit whatever order the parallel readers packed
    /// them in (three flips could all land in one file), and sparse enough that this file keeps
    /// undamaged chunks.
    /// </summary>
    private static void FlipBytesInEveryDataPack(string repository)
    {
        var packs = Directory.GetFiles(Path.Combine(repository, "data"), "*", SearchOption.AllDirectories).Where(p => new FileInfo(p).Length > (1 << 20)).ToList();
        Assert.NotEmpty(packs);
        foreach (var pack in packs)
        {
            var bytes = File.ReadAllBytes(pack);
            for (var at = bytes.Length / 16; at < bytes.Length * 7 / 8; at += 2 * 1024 * 1024)
            {
                bytes[at] ^= 0x40;
            }

            File.WriteAllBytes(pack, bytes);
        }
    }

    private SortedDictionary<string, string> SourceFiles() =>
        new(Directory.GetFiles(_source, "*", SearchOption.AllDirectories)
            .ToDictionary(f => "source/" + Path.GetRelativePath(_source, f), CliSandbox.Sha256), StringComparer.Ordinal);

    /// <summary>
    /// Every source file is either in the destination with its original SHA-256 or listed as not
    /// restored — never both, never neither; nothing else is there but the damaged copies kept.
    /// </summary>
    private void AssertPartition(string destination, IEnumerable<string> failed, IReadOnlyCollection<string> kept)
    {
        const string Damaged = ".drorch-damaged";
        var expected = SourceFiles();
        var failedSet = failed.ToHashSet(StringComparer.Ordinal);
        Assert.Subset(expected.Keys.ToHashSet(StringComparer.Ordinal), failedSet);
        Assert.Subset(failedSet, kept.ToHashSet(StringComparer.Ordinal));
        var present = Directory.GetFiles(destination, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(destination, f)).ToList();
        foreach (var relative in present.Where(p => !p.EndsWith(Damaged, StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(relative, failedSet);
            Assert.True(expected.TryGetValue(relative, out var sha), $"unexpected file {relative}");
            Assert.Equal(sha, CliSandbox.Sha256(Path.Combine(destination, relative)));
        }

        Assert.Equal(expected.Keys.Where(k => !failedSet.Contains(k)).Order(StringComparer.Ordinal), present.Where(p => !p.EndsWith(Damaged, StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(kept.Order(StringComparer.Ordinal), present.Where(p => p.EndsWith(Damaged, StringComparison.Ordinal)).Select(p => p[..^Damaged.Length]).Order(StringComparer.Ordinal));
    }
}
