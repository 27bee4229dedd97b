using System.Diagnostics;
using System.Text.Json;
using DrOrchestrator.Orchestration.Runs;
using Microsoft.Data.Sqlite;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// Issue 13 item 2: a process killed between the repository commit and the catalog commit, and
/// runs left "running" by dead processes, are reconciled by the next command that opens the catalog.
/// </summary>
public sealed class InterruptedRunTests : IDisposable
{
    private readonly CliSandbox _sandbox = new();

    [Fact]
    public async Task A_backup_killed_right_after_the_repository_commit_is_added_to_the_catalog_by_the_next_command()
    {
        var source = Path.Combine(_sandbox.Root, "source");
        Directory.CreateDirectory(source);
        File.WriteAllBytes(Path.Combine(source, "a.bin"), BackupRestoreCommandTests.RandomBytes(2_000_000, seed: 1));
        await _sandbox.ApplyAndBackUpAsync("victim", source);
        File.WriteAllBytes(Path.Combine(source, "b.bin"), BackupRestoreCommandTests.RandomBytes(1_000_000, seed: 2));

        var killed = await RealDrorch.RunAsync(_sandbox, new Dictionary<string, string?> { [CrashTestHook.Variable] = CrashTestHook.AfterRepositoryCommit }, "backup", "victim");
        Assert.True(killed.ExitCode == 137, $"expected SIGKILL (137): {killed}");

        // The repository holds the new snapshot; the catalog does not, and the run is still "running".
        var onTarget = await SnapshotIdsOnTargetAsync();
        Assert.Equal(2, onTarget.Count);
        var newId = Assert.Single(onTarget, id => !CatalogSnapshotIds().Contains(id));
        var before = RunRows();
        Assert.Equal(["succeeded", "running"], before.Select(r => r.Status));
        Assert.Equal(Environment.MachineName, before[1].Host);
        Assert.NotEqual(Environment.ProcessId, before[1].ProcessId);
        Assert.NotNull(before[1].HeartbeatAt);

        // The next command, another real process, reconciles before it answers.
        var next = await RealDrorch.RunAsync(_sandbox, null, "snapshots", "victim", "--json");
        Assert.True(next.ExitCode == 0, next.ToString());
        using (var json = JsonDocument.Parse(next.Stdout))
        {
            Assert.Contains(newId, json.RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        }

        Assert.Equal(onTarget.Order(StringComparer.Ordinal), CatalogSnapshotIds().Order(StringComparer.Ordinal));
        Assert.Equal("present", Scalar($"SELECT p.Status FROM SnapshotPresence p JOIN Snapshots s ON s.Id = p.SnapshotRowId JOIN Targets t ON t.Id = p.TargetId WHERE s.SnapshotId = '{newId}' AND t.Name = 'local'"));
        var after = RunRows();
        Assert.Equal(["succeeded", "interrupted"], after.Select(r => r.Status));
        var interrupted = after[1];
        Assert.Equal(before[1].HeartbeatAt, interrupted.FinishedAt); // finished when last seen
        Assert.Equal(newId, interrupted.SnapshotId);
        Assert.True(interrupted.BytesStored > 0, "the interrupted run's figures come from the snapshot it committed");
        Assert.Contains($"its process {before[1].ProcessId} on {Environment.MachineName} is gone", interrupted.ErrorMessage, StringComparison.Ordinal);

        // Reconciling is done once: another command changes nothing.
        Assert.Equal(0, (await _sandbox.RunAsync("policy", "list")).ExitCode);
        Assert.Equal(after, RunRows());
    }

    [Fact]
    public async Task A_running_run_whose_process_is_gone_becomes_interrupted_and_a_live_one_stays_running()
    {
        var source = Path.Combine(_sandbox.Root, "source");
        Directory.CreateDirectory(source);
        File.WriteAllBytes(Path.Combine(source, "a.bin"), BackupRestoreCommandTests.RandomBytes(100_000, seed: 3));
        await _sandbox.ApplyAndBackUpAsync("p", source);
        var now = DateTimeOffset.UtcNow;
        using var self = Process.GetCurrentProcess();
        var selfStart = new DateTimeOffset(self.StartTime.ToUniversalTime());
        var deadPid = await RealDrorch.DeadProcessIdAsync();
        var seen = now.AddMinutes(-2);

        var dead = InsertRunningRun(Environment.MachineName, deadPid, now.AddHours(-1), seen);
        var live = InsertRunningRun(Environment.MachineName, Environment.ProcessId, selfStart, seen);
        var reusedPid = InsertRunningRun(Environment.MachineName, Environment.ProcessId, selfStart.AddDays(-1), seen);
        var otherHostSilent = InsertRunningRun("another-node", 4242, now.AddHours(-2), now.AddHours(-1));
        var otherHostRecent = InsertRunningRun("another-node", 4243, now.AddHours(-2), now.AddMinutes(-1));

        var list = await _sandbox.RunAsync("policy", "list");
        Assert.True(list.ExitCode == 0, list.ToString());

        var rows = RunRows().ToDictionary(r => r.Id);
        Assert.Equal("interrupted", rows[dead].Status);
        Assert.Equal(Micros(seen), rows[dead].FinishedAt);
        Assert.Contains($"its process {deadPid} on {Environment.MachineName} is gone", rows[dead].ErrorMessage, StringComparison.Ordinal);
        Assert.Equal("running", rows[live].Status);
        Assert.Null(rows[live].FinishedAt);
        Assert.Equal("interrupted", rows[reusedPid].Status); // same pid, another process (start time differs)
        Assert.Equal("interrupted", rows[otherHostSilent].Status);
        Assert.Equal(Micros(now.AddHours(-1)), rows[otherHostSilent].FinishedAt);
        Assert.Contains("has not been seen for 60 minutes", rows[otherHostSilent].ErrorMessage, StringComparison.Ordinal);
        Assert.Equal("running", rows[otherHostRecent].Status);
        Assert.Single(CatalogSnapshotIds()); // nothing on the target was missing from the catalog
    }

    public void Dispose() => _sandbox.Dispose();

    private static long Micros(DateTimeOffset value) => (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private long InsertRunningRun(string host, int pid, DateTimeOffset processStart, DateTimeOffset heartbeat)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO Runs (PolicyId, TargetId, Kind, Status, StartedAt, BytesRead, BytesNew, BytesStored, Files, WarningsCount, Host, ProcessId, ProcessStartedAt, HeartbeatAt)
            VALUES ((SELECT Id FROM Policies WHERE Name = 'p'), (SELECT Id FROM Targets WHERE Name = 'local'), 'backup', 'running', $started, 0, 0, 0, 0, 0, $host, $pid, $processStart, $heartbeat);
            SELECT last_insert_rowid();
            """;
        command.Parameters.AddWithValue("$started", Micros(heartbeat.AddMinutes(-1)));
        command.Parameters.AddWithValue("$host", host);
        command.Parameters.AddWithValue("$pid", pid);
        command.Parameters.AddWithValue("$processStart", Micros(processStart));
        command.Parameters.AddWithValue("$heartbeat", Micros(heartbeat));
        return (long)command.ExecuteScalar()!;
    }

    private async Task<List<string>> SnapshotIdsOnTargetAsync()
    {
        var run = await _sandbox.RunAsync("snapshots", "--from", "local", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        return [.. json.RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
    }

    private List<string> CatalogSnapshotIds()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT SnapshotId FROM Snapshots";
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    private string? Scalar(string sql)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() as string;
    }

    private List<RunRow> RunRows()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        // The orchestrator's own record after the first backup is a run too (docs/decisions.md §58); these tests follow the policy's.
        command.CommandText = "SELECT Id, Status, Host, ProcessId, HeartbeatAt, FinishedAt, SnapshotId, BytesStored, ErrorMessage FROM Runs WHERE Kind <> 'systembackup' ORDER BY Id";
        using var reader = command.ExecuteReader();
        var rows = new List<RunRow>();
        while (reader.Read())
        {
            rows.Add(new RunRow(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetInt64(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetInt64(7),
                reader.IsDBNull(8) ? null : reader.GetString(8)));
        }

        return rows;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={_sandbox.CatalogPath};Pooling=False");
        connection.Open();
        return connection;
    }

    private sealed record RunRow(long Id, string Status, string? Host, int? ProcessId, long? HeartbeatAt, long? FinishedAt, string? SnapshotId, long BytesStored, string? ErrorMessage);
}
