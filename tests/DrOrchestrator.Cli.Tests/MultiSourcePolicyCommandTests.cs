using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// One run of a policy is one snapshot holding every source (DESIGN.md, "one run = one recovery
/// point"), and a backup finds its parent through the catalog, falling back to the repository.
/// </summary>
public sealed class MultiSourcePolicyCommandTests : IDisposable
{
    private readonly CliSandbox _sandbox = new();
    private readonly string _documents;
    private readonly string _logs;

    public MultiSourcePolicyCommandTests()
    {
        _documents = Path.Combine(_sandbox.Root, "data", "documents");
        _logs = Path.Combine(_sandbox.Root, "var", "logs");
        Directory.CreateDirectory(Path.Combine(_documents, "reports", "2026"));
        Directory.CreateDirectory(Path.Combine(_documents, "cache"));
        Directory.CreateDirectory(Path.Combine(_logs, "archive"));
        File.WriteAllBytes(Path.Combine(_documents, "reports", "2026", "q4.pdf"), BackupRestoreCommandTests.RandomBytes(2 * 1024 * 1024 + 3, seed: 1));
        File.WriteAllText(Path.Combine(_documents, "notes.txt"), "kept\n");
        File.WriteAllText(Path.Combine(_documents, "cache", "thumb.bin"), "excluded by the documents source");
        File.WriteAllText(Path.Combine(_logs, "app.log"), "included by the logs source\n");
        File.WriteAllBytes(Path.Combine(_logs, "archive", "old.log"), BackupRestoreCommandTests.RandomBytes(700_000, seed: 2));
        File.WriteAllText(Path.Combine(_logs, "readme.txt"), "not included by the logs source");
    }

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task A_policy_with_two_file_sources_backs_up_into_one_snapshot_and_restores_both_trees()
    {
        await ApplyAsync();

        var backup = await _sandbox.RunAsync("backup", "two", "--json");

        Assert.True(backup.ExitCode == 0, backup.ToString());
        using var backupJson = JsonDocument.Parse(backup.Stdout);
        var snapshot = Assert.Single(backupJson.RootElement.GetProperty("snapshots").EnumerateArray());
        var snapshotId = snapshot.GetProperty("id").GetString()!;
        Assert.Equal(4, snapshot.GetProperty("files").GetInt64());
        Assert.Equal([_documents, _logs], snapshot.GetProperty("paths").EnumerateArray().Select(p => p.GetString()));

        var snapshots = await _sandbox.RunAsync("snapshots", "two", "--json");
        Assert.True(snapshots.ExitCode == 0, snapshots.ToString());
        using var list = JsonDocument.Parse(snapshots.Stdout);
        Assert.Equal(snapshotId, Assert.Single(list.RootElement.EnumerateArray()).GetProperty("id").GetString());

        // The run's figures in the catalog cover both sources.
        var expectedBytes = new[] { "reports/2026/q4.pdf", "notes.txt" }.Sum(f => new FileInfo(Path.Combine(_documents, f)).Length)
            + new[] { "app.log", "archive/old.log" }.Sum(f => new FileInfo(Path.Combine(_logs, f)).Length);
        var run = QueryRun(backupJson.RootElement.GetProperty("runId").GetInt64());
        Assert.Equal((4L, expectedBytes, snapshotId, "succeeded"), run);

        var destination = Path.Combine(_sandbox.Root, "restored");
        var restore = await _sandbox.RunAsync("restore", "two", "--to", destination);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(["documents", "logs"], Directory.EnumerateFileSystemEntries(destination).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(Hashes(_documents, "reports/2026/q4.pdf", "notes.txt"), Hashes(Path.Combine(destination, "documents")));
        Assert.Equal(Hashes(_logs, "app.log", "archive/old.log"), Hashes(Path.Combine(destination, "logs")));
    }

    [Fact]
    public async Task Two_sources_whose_paths_would_collide_fail_validation_with_exit_2()
    {
        var other = Path.Combine(_sandbox.Root, "elsewhere", "documents");
        Directory.CreateDirectory(other);
        var policy = WritePolicy(_documents, other);

        var apply = await _sandbox.RunAsync("policy", "apply", policy);

        Assert.Equal(2, apply.ExitCode);
        Assert.Contains($"{policy}:7: sources[1].paths[0]: '{other}' would be stored as 'documents', like '{_documents}' (sources[0].paths[0])",
            apply.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backup_takes_its_parent_from_the_catalog_and_from_the_repository_when_the_catalog_lacks_it()
    {
        await ApplyAsync();
        var first = await BackUpAsync();
        var second = await BackUpAsync();
        Assert.Equal(first.Id, second.ParentId);
        Assert.Equal(0, second.BytesRead);

        // The catalog, not the repository's listing, names the parent: with the newest row gone,
        // the parent is the one the catalog still knows, although the repository holds a newer one.
        DeleteCatalogSnapshot(second.Id);
        var third = await BackUpAsync();
        Assert.Equal(first.Id, third.ParentId);
        Assert.Equal(0, third.BytesRead);

        // Without any catalog row the repository's newest snapshot of the policy is used.
        DeleteCatalogSnapshot(first.Id);
        DeleteCatalogSnapshot(third.Id);
        var fourth = await BackUpAsync();
        Assert.Equal(third.Id, fourth.ParentId);
        Assert.Equal(0, fourth.BytesRead);
    }

    private async Task ApplyAsync()
    {
        var apply = await _sandbox.RunAsync("policy", "apply", WritePolicy(_documents, _logs));
        Assert.True(apply.ExitCode == 0, apply.ToString());
    }

    /// <summary>Two files sources with their own globs: <paramref name="first"/> without its cache, only the logs of <paramref name="second"/>.</summary>
    private string WritePolicy(string first, string second)
    {
        var path = Path.Combine(_sandbox.Root, "two.yaml");
        File.WriteAllText(path, $"""
            name: two
            sources:
              - type: files
                paths: ["{first}"]
                exclude: ["cache"]
              - type: files
                paths: ["{second}"]
                include: ["*.log"]
            targets:
              - name: local
                role: primary
            schedule: {"{"} cron: "0 0 2 * * ?", timeZone: UTC {"}"}
            rpo: 24h
            rto: 1h
            """);
        return path;
    }

    private async Task<(string Id, string? ParentId, long BytesRead)> BackUpAsync()
    {
        var backup = await _sandbox.RunAsync("backup", "two", "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        using var json = JsonDocument.Parse(backup.Stdout);
        var s = Assert.Single(json.RootElement.GetProperty("snapshots").EnumerateArray());
        return (s.GetProperty("id").GetString()!, s.GetProperty("parentId").GetString(), s.GetProperty("bytesRead").GetInt64());
    }

    private (long Files, long BytesRead, string? SnapshotId, string Status) QueryRun(long runId)
    {
        using var db = Open();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT Files, BytesRead, SnapshotId, Status FROM Runs WHERE Id = $id";
        command.Parameters.AddWithValue("$id", runId);
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read(), $"run {runId} is not in the catalog");
        return (reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3));
    }

    private void DeleteCatalogSnapshot(string snapshotId)
    {
        using var db = Open();
        using var command = db.CreateCommand();
        command.CommandText = """
            DELETE FROM SnapshotPresence WHERE SnapshotRowId = (SELECT Id FROM Snapshots WHERE SnapshotId = $id);
            DELETE FROM Snapshots WHERE SnapshotId = $id;
            """;
        command.Parameters.AddWithValue("$id", snapshotId);
        Assert.Equal(2, command.ExecuteNonQuery());
    }

    private SqliteConnection Open()
    {
        var db = new SqliteConnection($"Data Source={_sandbox.CatalogPath};Pooling=False");
        db.Open();
        return db;
    }

    /// <summary>SHA-256 per relative path of the given files, or of every file below <paramref name="root"/>.</summary>
    private static SortedDictionary<string, string> Hashes(string root, params string[] files)
    {
        var paths = files.Length > 0
            ? files
            : [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f))];
        return new SortedDictionary<string, string>(paths.ToDictionary(f => f, f => CliSandbox.Sha256(Path.Combine(root, f))), StringComparer.Ordinal);
    }
}
