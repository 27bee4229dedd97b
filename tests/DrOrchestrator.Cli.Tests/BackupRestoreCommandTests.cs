using System.Text.Json;

namespace DrOrchestrator.Cli.Tests;

/// <summary>End-to-end through the real command tree, SQLite catalog and local target.</summary>
public sealed class BackupRestoreCommandTests : IDisposable
{
    private readonly CliSandbox _sandbox = new();
    private readonly string _source;

    public BackupRestoreCommandTests()
    {
        _source = Path.Combine(_sandbox.Root, "source");
        Directory.CreateDirectory(Path.Combine(_source, "sub dir", "ünï"));
        File.WriteAllText(Path.Combine(_source, "a.txt"), "alpha\n");
        File.WriteAllBytes(Path.Combine(_source, "sub dir", "ünï", "blob.bin"), RandomBytes(3 * 1024 * 1024 + 17, seed: 1));
        File.WriteAllBytes(Path.Combine(_source, "empty"), []);
        File.CreateSymbolicLink(Path.Combine(_source, "link"), "a.txt");
    }

    [Fact]
    public async Task Backup_then_restore_gives_identical_files_and_catalog_rows()
    {
        var apply = await _sandbox.RunAsync("policy", "apply", _sandbox.WritePolicy("home", _source));
        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Contains("applied policy home (local:primary)", apply.Stdout, StringComparison.Ordinal);

        var backup = await _sandbox.RunAsync("backup", "home", "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        using var backupJson = JsonDocument.Parse(backup.Stdout);
        var snapshotId = backupJson.RootElement.GetProperty("snapshots")[0].GetProperty("id").GetString()!;
        Assert.Equal("succeeded", backupJson.RootElement.GetProperty("status").GetString());
        Assert.Equal(3, backupJson.RootElement.GetProperty("snapshots")[0].GetProperty("files").GetInt64());

        var snapshots = await _sandbox.RunAsync("snapshots", "home", "--json");
        Assert.True(snapshots.ExitCode == 0, snapshots.ToString());
        using var list = JsonDocument.Parse(snapshots.Stdout);
        var row = Assert.Single(list.RootElement.EnumerateArray());
        Assert.Equal(snapshotId, row.GetProperty("id").GetString());
        var presence = Assert.Single(row.GetProperty("targets").EnumerateArray());
        Assert.Equal("local", presence.GetProperty("name").GetString());
        Assert.Equal("present", presence.GetProperty("status").GetString());

        var destination = Path.Combine(_sandbox.Root, "restored");
        var restore = await _sandbox.RunAsync("restore", "home", "--to", destination);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains($"restored snapshot {snapshotId[..8]}", restore.Stdout, StringComparison.Ordinal);
        AssertSameTree(_source, Path.Combine(destination, "source"));
    }

    [Fact]
    public async Task Restore_works_when_the_catalog_is_gone()
    {
        await _sandbox.ApplyAndBackUpAsync("home", _source);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_sandbox.CatalogPath);

        var destination = Path.Combine(_sandbox.Root, "after-incident");
        var restore = await _sandbox.RunAsync("restore", "home", "--to", destination);

        Assert.True(restore.ExitCode == 0, restore.ToString());
        AssertSameTree(_source, Path.Combine(destination, "source"));
    }

    [Fact]
    public async Task Restore_works_when_the_catalog_server_does_not_answer()
    {
        await _sandbox.ApplyAndBackUpAsync("home", _source);
        using var silent = StartSilentCatalogServer(out var port);
        var config = File.ReadAllText(_sandbox.ConfigPath);
        const string oneTarget = "\"Targets\":{\"local\":{\"Type\":\"local\",\"Path\":\"repo\"}}";
        Assert.Contains(oneTarget, config, StringComparison.Ordinal);
        // Two targets, so the catalog is asked for the order (with one there is nothing to ask).
        File.WriteAllText(_sandbox.ConfigPath, PointCatalogAt(port, config).Replace(oneTarget,
            "\"Targets\":{\"local\":{\"Type\":\"local\",\"Path\":\"repo\"},\"spare\":{\"Type\":\"local\",\"Path\":\"spare\"}}", StringComparison.Ordinal));

        var destination = Path.Combine(_sandbox.Root, "catalog-down");
        var restore = await _sandbox.RunAsync("restore", "home", "--to", destination);

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains("catalog not used (no answer within 5 s); every configured target was tried", restore.Stderr, StringComparison.Ordinal);
        AssertSameTree(_source, Path.Combine(destination, "source"));
    }

    [Fact]
    public async Task Restore_from_the_only_target_does_not_consult_the_catalog()
    {
        await _sandbox.ApplyAndBackUpAsync("home", _source);
        using var silent = StartSilentCatalogServer(out var port);
        File.WriteAllText(_sandbox.ConfigPath, PointCatalogAt(port, File.ReadAllText(_sandbox.ConfigPath)));

        var destination = Path.Combine(_sandbox.Root, "single");
        var restore = await _sandbox.RunAsync("restore", "home", "--to", destination);

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal("", restore.Stderr);
        AssertSameTree(_source, Path.Combine(destination, "source"));
    }

    [Fact]
    public async Task Restore_from_the_only_target_does_not_even_build_the_catalog()
    {
        await _sandbox.ApplyAndBackUpAsync("home", _source);
        var config = File.ReadAllText(_sandbox.ConfigPath);
        const string sqlite = "\"Provider\":\"Sqlite\"";
        Assert.Contains(sqlite, config, StringComparison.Ordinal);
        File.WriteAllText(_sandbox.ConfigPath, config.Replace(sqlite, "\"Provider\":\"Oracle\"", StringComparison.Ordinal));

        // Any command that builds the catalog rejects this configuration...
        var snapshots = await _sandbox.RunAsync("snapshots");
        Assert.Equal(2, snapshots.ExitCode);
        Assert.Equal("drorch: error: appsettings.json: Catalog:Provider: 'Oracle' is not supported (use Sqlite or Postgres)", snapshots.Stderr.Trim());

        // ...but a restore from the only target never builds it (nor loads EF Core for it).
        var destination = Path.Combine(_sandbox.Root, "no-catalog");
        var restore = await _sandbox.RunAsync("restore", "home", "--to", destination);

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal("", restore.Stderr);
        AssertSameTree(_source, Path.Combine(destination, "source"));
    }

    /// <summary>
    /// A listener that never accepts: the TCP handshake completes (kernel backlog), then silence,
    /// like a PostgreSQL host that hangs during an incident.
    /// </summary>
    private static System.Net.Sockets.TcpListener StartSilentCatalogServer(out int port)
    {
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        return silent;
    }

    private static string PointCatalogAt(int port, string config)
    {
        const string sqlite = "\"Provider\":\"Sqlite\",\"ConnectionString\":\"Data Source=catalog.db\"";
        Assert.Contains(sqlite, config, StringComparison.Ordinal);
        return config.Replace(sqlite,
            $"\"Provider\":\"Postgres\",\"ConnectionString\":\"Host=127.0.0.1;Port={port};Username=u;Database=d;Timeout=60;Command Timeout=60\"", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_refuses_a_non_empty_destination_and_writes_nothing()
    {
        await _sandbox.ApplyAndBackUpAsync("home", _source);
        var destination = Directory.CreateDirectory(Path.Combine(_sandbox.Root, "busy")).FullName;
        File.WriteAllText(Path.Combine(destination, "keep.txt"), "mine");

        var restore = await _sandbox.RunAsync("restore", "home", "--to", destination);

        Assert.Equal(2, restore.ExitCode);
        Assert.Single(restore.Stderr.Trim().Split('\n'));
        Assert.Contains("not empty", restore.Stderr, StringComparison.Ordinal);
        Assert.Equal(["keep.txt"], Directory.EnumerateFileSystemEntries(destination).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_wrong_key_fails_with_one_line_and_writes_nothing()
    {
        await _sandbox.ApplyAndBackUpAsync("home", _source);
        var before = ListRepository();
        Environment.SetEnvironmentVariable(_sandbox.KeyVariable, "not the key");

        var backup = await _sandbox.RunAsync("backup", "home");

        Assert.Equal(1, backup.ExitCode);
        Assert.Equal("drorch: error: wrong repository key", backup.Stderr.Trim().Split(" for ")[0]);
        Assert.DoesNotContain("not the key", backup.Stderr + backup.Stdout, StringComparison.Ordinal);
        Assert.Equal(before, ListRepository());
    }

    [Fact]
    public async Task Check_read_data_finds_a_flipped_byte_and_names_the_file()
    {
        await _sandbox.ApplyAndBackUpAsync("home", _source);
        Assert.Equal(0, (await _sandbox.RunAsync("check", "local", "--read-data")).ExitCode);
        var pack = Directory.EnumerateFiles(Path.Combine(_sandbox.RepositoryPath, "data"), "*", SearchOption.AllDirectories)
            .MaxBy(f => new FileInfo(f).Length)!;
        FlipByte(pack, offset: 1000);

        var check = await _sandbox.RunAsync("check", "local", "--read-data");

        Assert.Equal(1, check.ExitCode);
        Assert.Contains("blob.bin", check.Stdout, StringComparison.Ordinal);
        Assert.Contains("damaged", check.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_never_reach_the_catalog_the_repository_or_the_output()
    {
        var apply = await _sandbox.RunAsync("policy", "apply", _sandbox.WritePolicy("home", _source));
        var backup = await _sandbox.RunAsync("backup", "home", "--json");
        var list = await _sandbox.RunAsync("snapshots", "--json");
        Assert.Equal(0, backup.ExitCode);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var secret = Environment.GetEnvironmentVariable(_sandbox.KeyVariable)!;
        foreach (var text in new[] { apply.Stdout, apply.Stderr, backup.Stdout, backup.Stderr, list.Stdout, list.Stderr })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        var needle = System.Text.Encoding.UTF8.GetBytes(secret);
        foreach (var file in Directory.EnumerateFiles(_sandbox.Root, "catalog.db*").Concat(Directory.EnumerateFiles(_sandbox.RepositoryPath, "*", SearchOption.AllDirectories)))
        {
            Assert.True(File.ReadAllBytes(file).AsSpan().IndexOf(needle) < 0, $"{file} contains the repository key");
        }
    }

    [Fact]
    public async Task Restore_selects_by_snapshot_id_and_by_time()
    {
        Assert.Equal(0, (await _sandbox.RunAsync("policy", "apply", _sandbox.WritePolicy("home", _source))).ExitCode);
        var first = JsonDocument.Parse((await _sandbox.RunAsync("backup", "home", "--json")).Stdout).RootElement.GetProperty("snapshots")[0];
        var firstId = first.GetProperty("id").GetString()!;
        var firstPoint = first.GetProperty("recoveryPoint").GetDateTimeOffset();
        File.WriteAllText(Path.Combine(_source, "a.txt"), "changed after the first backup\n");
        Assert.Equal(0, (await _sandbox.RunAsync("backup", "home")).ExitCode);

        var byId = Path.Combine(_sandbox.Root, "by-id");
        var run = await _sandbox.RunAsync("restore", "home", "--snapshot", firstId[..10], "--to", byId);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("alpha\n", File.ReadAllText(Path.Combine(byId, "source", "a.txt")));

        var byTime = Path.Combine(_sandbox.Root, "by-time");
        run = await _sandbox.RunAsync("restore", "home", "--at", firstPoint.AddMilliseconds(1).ToString("O"), "--to", byTime);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("alpha\n", File.ReadAllText(Path.Combine(byTime, "source", "a.txt")));

        var latest = Path.Combine(_sandbox.Root, "latest");
        Assert.Equal(0, (await _sandbox.RunAsync("restore", "home", "--to", latest)).ExitCode);
        Assert.Equal("changed after the first backup\n", File.ReadAllText(Path.Combine(latest, "source", "a.txt")));

        var tooEarly = await _sandbox.RunAsync("restore", "home", "--at", "2001-01-01T00:00:00Z", "--to", Path.Combine(_sandbox.Root, "never"));
        Assert.Equal(2, tooEarly.ExitCode);
        Assert.StartsWith("drorch: error: no snapshot of policy 'home' at or before 2001-01-01", tooEarly.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backup_of_an_unknown_policy_exits_2_naming_it()
    {
        var backup = await _sandbox.RunAsync("backup", "nope");

        Assert.Equal(2, backup.ExitCode);
        Assert.Equal("drorch: error: unknown policy 'nope' (known: none)", backup.Stderr.Trim());
    }

    public void Dispose() => _sandbox.Dispose();

    internal static void AssertSameTree(string expected, string actual)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 };
        var expectedEntries = Directory.EnumerateFileSystemEntries(expected, "*", options).Select(p => Path.GetRelativePath(expected, p)).Order(StringComparer.Ordinal).ToList();
        var actualEntries = Directory.EnumerateFileSystemEntries(actual, "*", options).Select(p => Path.GetRelativePath(actual, p)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expectedEntries, actualEntries);
        foreach (var relative in expectedEntries)
        {
            var source = new FileInfo(Path.Combine(expected, relative));
            var copy = new FileInfo(Path.Combine(actual, relative));
            if (source.LinkTarget is not null)
            {
                Assert.Equal(source.LinkTarget, copy.LinkTarget);
            }
            else if (source.Attributes.HasFlag(FileAttributes.Directory) == false)
            {
                Assert.Equal(CliSandbox.Sha256(source.FullName), CliSandbox.Sha256(copy.FullName));
                Assert.Equal(source.LastWriteTimeUtc, copy.LastWriteTimeUtc);
            }
        }
    }

    [Fact]
    public async Task A_run_the_catalog_cannot_record_writes_no_snapshot()
    {
        var apply = await _sandbox.RunAsync("policy", "apply", _sandbox.WritePolicy("home", _source));
        Assert.True(apply.ExitCode == 0, apply.ToString());
        // The run row names its target; without the target's row the catalog refuses to start the run.
        // The targets are prepared meanwhile (they overlap), but nothing may be archived.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_sandbox.CatalogPath};Pooling=False"))
        {
            connection.Open();
            using var delete = connection.CreateCommand();
            delete.CommandText = "PRAGMA foreign_keys = OFF; DELETE FROM \"Targets\" WHERE \"Name\" = 'local';";
            Assert.Equal(1, delete.ExecuteNonQuery());
        }

        var backup = await _sandbox.RunAsync("backup", "home");

        Assert.NotEqual(0, backup.ExitCode);
        Assert.Contains("target 'local' is not in the catalog", backup.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(ListRepository(), f => f.Contains($"{Path.DirectorySeparatorChar}snapshots{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            || f.Contains($"{Path.DirectorySeparatorChar}data{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
    }

    private List<string> ListRepository() =>
        [.. Directory.EnumerateFiles(_sandbox.RepositoryPath, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    private static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        var value = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(value ^ 0x5A));
    }

    internal static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
