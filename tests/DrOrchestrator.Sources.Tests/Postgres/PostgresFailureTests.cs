using System.Net;
using System.Net.Sockets;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Sources;
using DrOrchestrator.Sources.Tests.Support;

namespace DrOrchestrator.Sources.Tests.Postgres;

/// <summary>
/// Every failure of the issue's item 6 against the real server: one clear line naming the cause
/// (the dump tool's own stderr tail, secrets scrubbed), no snapshot visible, and the repository
/// still passes a full check. Broken tools are shell wrappers around the real pg_dump.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresFailureTests(PostgresFixture fixture) : IDisposable
{
    private readonly string _tools = Directory.CreateTempSubdirectory("drorch-pg-tools-").FullName;

    [Fact]
    public async Task A_dump_tool_that_exits_non_zero_fails_the_run_with_its_stderr_tail_and_the_password_scrubbed()
    {
        WriteTool("pg_dump", $"""
            "{RealTool("pg_dump")}" "$@" | head -c 300000
            echo "pg_dump: error: simulated failure, password was $PGPASSWORD" >&2
            exit 3
            """);

        var (e, repository) = await BackupFailsAsync(fixture.Source([await fixture.CreateSmallDatabaseAsync()]));

        Assert.Matches(@"^source pg: dump of database small_\w+: pg_dump exited with code 3: pg_dump: error: simulated failure, password was \*\*\*$", e.Message);
        Assert.DoesNotContain(fixture.Server.Password, e.Message, StringComparison.Ordinal);
        await AssertNothingVisibleAsync(repository);
    }

    [Fact]
    public async Task A_dump_tool_killed_mid_stream_fails_the_run_and_leaves_no_snapshot()
    {
        WriteTool("pg_dump", $"""
            "{RealTool("pg_dump")}" "$@" | head -c 200000
            echo "pg_dump: dying mid-stream" >&2
            kill -9 $$
            """);

        var (e, repository) = await BackupFailsAsync(fixture.Source([await fixture.CreateSmallDatabaseAsync()]));

        Assert.Matches(@"^source pg: dump of database small_\w+: pg_dump exited with code 137: pg_dump: dying mid-stream$", e.Message);
        await AssertNothingVisibleAsync(repository);
    }

    [Fact]
    public async Task Wrong_credentials_fail_with_one_line_naming_the_server_and_no_password()
    {
        Environment.SetEnvironmentVariable("DRORCH_TEST_WRONG_PG_PASSWORD", "not-the-password");

        var (e, repository) = await BackupFailsAsync(fixture.Source(["postgres"], passwordVariable: "DRORCH_TEST_WRONG_PG_PASSWORD"), realTools: true);

        Assert.Equal(
            $"source pg: cannot connect to PostgreSQL at 127.0.0.1:{fixture.Server.Port} as drorch (database postgres): password authentication failed for user \"drorch\"",
            e.Message);
        Assert.DoesNotContain("not-the-password", e.Message, StringComparison.Ordinal);
        await AssertNothingVisibleAsync(repository);
    }

    [Fact]
    public async Task An_unreachable_server_fails_with_one_line()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (e, repository) = await BackupFailsAsync(fixture.Source(["postgres"], port: closedPort), realTools: true);

        Assert.StartsWith($"source pg: cannot connect to PostgreSQL at 127.0.0.1:{closedPort} as drorch (database postgres): ", e.Message, StringComparison.Ordinal);
        Assert.Contains("refused", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain('\n', e.Message);
        await AssertNothingVisibleAsync(repository);
    }

    [Fact]
    public async Task A_missing_dump_tool_names_the_debian_package()
    {
        var (e, repository) = await BackupFailsAsync(fixture.Source(["postgres"]));

        Assert.Equal($"pg_dump was not found (looked in {_tools}); install the Debian package postgresql-client", e.Message);
        await AssertNothingVisibleAsync(repository);
    }

    [Fact]
    public async Task A_dump_tool_older_than_the_server_is_refused_naming_the_package_to_install()
    {
        WriteTool("pg_dump", """echo "pg_dump (PostgreSQL) 9.6.24" """, realVersion: false);

        var (e, repository) = await BackupFailsAsync(fixture.Source(["postgres"]));

        Assert.Equal(
            "source pg: pg_dump 9 is older than the server (PostgreSQL 15); install the Debian package postgresql-client-15 (or set Sources:Postgres:ToolDirectory)",
            e.Message);
        await AssertNothingVisibleAsync(repository);
    }

    [Fact]
    public async Task A_restore_into_a_non_empty_database_is_refused_without_overwrite_and_a_differing_table_is_named()
    {
        var db = await fixture.CreateSmallDatabaseAsync();
        var repository = await Repositories.NewSmallAsync();
        var engine = PostgresFixture.Engine();
        var result = await SourceBackupRunner.RunAsync(repository, [engine.CreateSource(fixture.Source([db]))], new SnapshotRequest("p", null, null), null, CancellationToken.None);
        var manifest = await SnapshotItems.LoadManifestAsync(repository, result.Snapshot.Sources![0], CancellationToken.None);
        var dump = manifest.Databases[0];

        // Into the (non-empty) source database itself: refused, nothing touched.
        var refused = await Assert.ThrowsAsync<DatabaseRestoreRefusedException>(() =>
            engine.RestoreAsync(Request(repository, result.Snapshot, manifest, dump, fixture.Reference(db), overwrite: false), CancellationToken.None));
        Assert.Matches(
            $@"^--to-db: database {db} at 127\.0\.0\.1:{fixture.Server.Port} as drorch is not empty \(\d+ relations or large objects\); restore into a new database or pass --overwrite to replace it$",
            refused.Message);

        // A fingerprint that does not match (one row more recorded for notes) fails the restore naming the table.
        var tampered = dump with { Tables = [.. dump.Tables.Select(t => t.Table == "public.notes" ? t with { Rows = t.Rows + 1 } : t)] };
        var mismatch = await Assert.ThrowsAsync<FingerprintMismatchException>(() =>
            engine.RestoreAsync(Request(repository, result.Snapshot, manifest, tampered, fixture.Reference(db), overwrite: true), CancellationToken.None));
        Assert.Contains("table public.notes: 3 rows (hash ", mismatch.Message, StringComparison.Ordinal);
        Assert.Contains(" at backup, 2 rows (hash ", mismatch.Message, StringComparison.Ordinal);
        Assert.Single(mismatch.Differences);
    }

    public void Dispose() => Directory.Delete(_tools, recursive: true);

    /// <param name="realTools">Use the installed client tools instead of the test's tool directory (empty unless a test wrote a wrapper).</param>
    private async Task<(SourceFailedException Error, BackupRepository Repository)> BackupFailsAsync(Core.Policies.DatabaseSource source, bool realTools = false)
    {
        var repository = await Repositories.NewSmallAsync();
        var engine = PostgresFixture.Engine(realTools ? null : _tools);
        var e = await Assert.ThrowsAsync<SourceFailedException>(() =>
            SourceBackupRunner.RunAsync(repository, [engine.CreateSource(source)], new SnapshotRequest("p", null, null), null, CancellationToken.None));
        return (e, repository);
    }

    private static async Task AssertNothingVisibleAsync(BackupRepository repository)
    {
        var (snapshots, findings) = await Repositories.InspectAsync(repository);
        Assert.Empty(snapshots);
        Assert.DoesNotContain(findings, f => f.Severity != Core.Check.CheckSeverity.Info);
    }

    private static DatabaseRestoreRequest Request(BackupRepository repository, Snapshot snapshot, DatabaseManifest manifest, DatabaseDump dump, string destination, bool overwrite) =>
        new(manifest, dump, destination, new SecretReference(PostgresFixture.PasswordVariable, null), overwrite,
            (item, ct) => SnapshotItems.OpenAsync(repository, snapshot, item, ct));

    /// <summary>A wrapper script in the test's tool directory; <c>--version</c> (and psql/pg_dumpall) go to the real tools.</summary>
    private void WriteTool(string name, string body, bool realVersion = true)
    {
        var path = Path.Combine(_tools, name);
        var version = realVersion ? $"if [ \"$1\" = \"--version\" ]; then exec \"{RealTool(name)}\" --version; fi" : "";
        File.WriteAllText(path, $"""
            #!/bin/sh
            {version}
            {body}

            """);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the PostgreSQL source tests run on Linux");
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private string RealTool(string name) => Path.Combine(fixture.Server.BinDirectory, name);
}
