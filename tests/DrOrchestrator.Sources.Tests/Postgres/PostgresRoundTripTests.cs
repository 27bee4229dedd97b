using System.Security.Cryptography;
using System.Text;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Sources;
using DrOrchestrator.Sources.PostgreSql;
using DrOrchestrator.Sources.Tests.Support;
using DrOrchestrator.Testing.Postgres;
using Npgsql;

namespace DrOrchestrator.Sources.Tests.Postgres;

/// <summary>
/// The must-show PostgreSQL round trip: a pgbench -s 10 database plus a table of awkward
/// types, backed up while pgbench writes to it, restored into a new database; the restore's own
/// fingerprint check passes, an independent fingerprint of the restored database equals the
/// manifest's, and a pg_dump of the restored database equals a pg_dump --snapshot of the source
/// at the backup's snapshot (docs/decisions.md §51 and §59 explain the comparison). Then the dedup
/// figure of a second backup, and the restore of a snapshot in the first (single-stream) format.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRoundTripTests(PostgresFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task A_pgbench_database_backed_up_while_pgbench_writes_restores_with_matching_fingerprint_and_dump()
    {
        var server = fixture.Server;
        var db = await server.CreateDatabaseAsync("shop");
        await server.RunClientAsync("pgbench", [.. Connection(db), "-i", "-s", "10", "-q"], Slow);
        await server.ExecuteAsync(db, AwkwardTypes);
        var repository = await Repositories.NewAsync();
        var engine = PostgresFixture.Engine();
        var source = (PostgresBackupSource)engine.CreateSource(fixture.Source([db]));
        // The backup's snapshot, kept importable after the backup by a transaction of our own.
        await using var holder = new NpgsqlConnection(server.ConnectionStringWithPassword(db));
        await holder.OpenAsync();
        await using var held = await holder.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        string? heldSnapshot = null;
        source.SnapshotExported = async (_, snapshot, ct) =>
        {
            await using (var import = new NpgsqlCommand($"SET TRANSACTION SNAPSHOT '{snapshot}'", holder, held))
            {
                await import.ExecuteNonQueryAsync(ct);
            }

            await using var export = new NpgsqlCommand("SELECT pg_export_snapshot()", holder, held);
            heldSnapshot = (string?)await export.ExecuteScalarAsync(ct);
        };

        var historyBefore = await CountAsync(db, "pgbench_history");
        BackupResultFigures backup;
        var writer = ToolProcess.Start(
            Path.Combine(server.BinDirectory, "pgbench"), [.. Connection(db), "-n", "-c", "2", "-T", "600"],
            new Dictionary<string, string?> { ["PGPASSWORD"] = server.Password }, []);
        await using (writer)
        {
            await WaitUntilAsync(async () => await CountAsync(db, "pgbench_history") > historyBefore + 50);
            var result = await SourceBackupRunner.RunAsync(
                repository, [source], new SnapshotRequest("shop", null, null), null, CancellationToken.None);
            backup = new BackupResultFigures(result.Snapshot, await CountAsync(db, "pgbench_history"));
        }

        var record = Assert.Single(backup.Snapshot.Sources!);
        var manifest = await SnapshotItems.LoadManifestAsync(repository, record, CancellationToken.None);
        var dump = Assert.Single(manifest.Databases);
        // Taken while pgbench wrote: the history at the recovery point lies strictly between before and after.
        var history = dump.Tables.Single(t => t.Table == "public.pgbench_history").Rows;
        Assert.InRange(history, historyBefore + 51, backup.HistoryAfter - 1);
        Assert.Equal(1_000_000, dump.Tables.Single(t => t.Table == "public.pgbench_accounts").Rows);
        Assert.Equal(1000, dump.Tables.Single(t => t.Table == "public.awkward").Rows);
        Assert.True(dump.Tables.Single(t => t.Table == "pg_largeobject").Rows > 1, "the large object spans several pages");
        Assert.Equal(dump.RecoveryPoint, backup.Snapshot.RecoveryPoint);
        // In parts (§59): the schema, one COPY stream per table, the post-data.
        Assert.NotNull(dump.Parts);
        // pgbench_accounts (~130 MB of heap) is over the split size: two ctid ranges, one per connection (§65).
        Assert.Equal(["schema", .. Enumerable.Repeat("table", 6), "post-data"], dump.Parts.Select(p => p.Kind));
        Assert.Equal(
            ["public.awkward", "public.pgbench_accounts", "public.pgbench_accounts", "public.pgbench_branches", "public.pgbench_history", "public.pgbench_tellers"],
            dump.Parts.Where(p => p.Kind == "table").Select(p => p.Table));
        Assert.All(dump.Parts.Where(p => p.Table == "public.pgbench_accounts"), p => Assert.True(p.Length > 40_000_000, $"{p.Item}: {p.Length} bytes"));
        Assert.Equal((dump.Parts[0].Item, dump.Parts[0].Sha256, dump.Parts[0].Length), (dump.Item, dump.Sha256, dump.Length));
        // The client-side fingerprint (§65) of the COPY text as stored.
        Assert.Equal(2, dump.FingerprintVersion);

        var restored = $"restored_{Guid.NewGuid():N}";
        var result2 = await engine.RestoreAsync(Request(repository, backup.Snapshot, manifest, dump, fixture.Reference(restored)), CancellationToken.None);

        // (a) the restore verified the fingerprint; check it independently too.
        Assert.Equal(dump.Tables.Count, result2.Tables);
        var endpoint = new PostgresEndpoint("127.0.0.1", server.Port, PostgresServer.User, new SecretReference(PostgresFixture.PasswordVariable, null), TimeSpan.FromSeconds(5));
        var again = await PostgresRestorer.FingerprintAsync(endpoint, restored, dump.FingerprintVersion ?? 1, CancellationToken.None);
        Assert.Equal(dump.Tables, again);
        Assert.Equal("happy", await ScalarAsync(restored, "SELECT feeling::text FROM awkward WHERE id = 2"));
        Assert.Equal("Grüße ✓ 日本語 1", await ScalarAsync(restored, "SELECT label FROM awkward WHERE id = 1"));

        // (b) a pg_dump of the restored database equals a pg_dump --snapshot of the source at the
        // backup's snapshot — each table's rows as a multiset: the two ranges of pgbench_accounts
        // load at once, so its restored heap holds the same rows in another physical order (§65).
        Assert.NotNull(heldSnapshot);
        var sourceDigest = await PgDumpDigestAsync(db, heldSnapshot, minimumLines: 1_000_000, rowOrder: false);
        await held.RollbackAsync();
        Assert.Equal(sourceDigest, await PgDumpDigestAsync(restored, null, minimumLines: 1_000_000, rowOrder: false));
        output.WriteLine(
            $"dump {dump.Length:N0} bytes, backup {backup.Snapshot.Summary.Duration.TotalSeconds:F1} s (stored {backup.Snapshot.Summary.BytesStored:N0} bytes), " +
            $"pgbench_history {historyBefore} before / {history} at the recovery point / {backup.HistoryAfter} after");
    }

    [Fact]
    public async Task A_second_backup_after_changing_one_percent_of_rows_stores_under_15_percent_new_data()
    {
        var server = fixture.Server;
        var db = await server.CreateDatabaseAsync("dedup");
        await server.RunClientAsync("pgbench", [.. Connection(db), "-i", "-s", "10", "-q"], Slow);
        var repository = await Repositories.NewAsync();
        var source = PostgresFixture.Engine().CreateSource(fixture.Source([db]));
        var first = await SourceBackupRunner.RunAsync(repository, [source], new SnapshotRequest("dedup", null, null), null, CancellationToken.None);

        // 1% of the accounts (10 000 of 1 000 000 rows), one contiguous key range.
        await server.ExecuteAsync(db, "UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid BETWEEN 400001 AND 410000");
        var second = await SourceBackupRunner.RunAsync(repository, [source], new SnapshotRequest("dedup", first.Snapshot, null), null, CancellationToken.None);

        var ratio = (double)second.Snapshot.Summary.BytesNew / first.Snapshot.Summary.BytesNew;
        output.WriteLine(
            $"first: {first.Snapshot.Summary.BytesNew:N0} new bytes ({first.Snapshot.Summary.BytesStored:N0} stored) in {first.Snapshot.Summary.Duration.TotalSeconds:F1} s; " +
            $"second: {second.Snapshot.Summary.BytesNew:N0} new bytes ({second.Snapshot.Summary.BytesStored:N0} stored) = {ratio:P2}");
        Assert.True(first.Snapshot.Summary.BytesNew > 50_000_000, $"first backup stored {first.Snapshot.Summary.BytesNew} new bytes");
        Assert.True(ratio < 0.15, $"second backup stored {second.Snapshot.Summary.BytesNew} new bytes = {ratio:P1} of the first's {first.Snapshot.Summary.BytesNew}");
    }

    [Fact]
    public async Task A_snapshot_in_the_single_stream_format_still_restores_and_equals_its_dump()
    {
        var server = fixture.Server;
        var db = await server.CreateDatabaseAsync("legacy");
        await server.ExecuteAsync(db, AwkwardTypes + "CREATE INDEX awkward_label ON awkward (label); ALTER TABLE awkward ADD CONSTRAINT positive CHECK (amount > 0) NOT VALID;");
        var repository = await Repositories.NewSmallAsync();
        var engine = PostgresFixture.Engine();
        var source = (PostgresBackupSource)engine.CreateSource(fixture.Source([db]));
        source.SingleStream = true;
        var backup = await SourceBackupRunner.RunAsync(repository, [source], new SnapshotRequest("legacy", null, null), null, CancellationToken.None);
        var manifest = await SnapshotItems.LoadManifestAsync(repository, backup.Snapshot.Sources![0], CancellationToken.None);
        var dump = Assert.Single(manifest.Databases);
        Assert.Null(dump.Parts);
        Assert.Equal("pg/" + db + "/dump.sql", dump.Item);

        var restored = $"restored_{Guid.NewGuid():N}";
        var result = await engine.RestoreAsync(Request(repository, backup.Snapshot, manifest, dump, fixture.Reference(restored)), CancellationToken.None);

        Assert.Equal(dump.Tables.Count, result.Tables);
        Assert.Equal(1000, result.Rows);
        var storedDigest = await DumpDigestAsync(await SnapshotItems.OpenAsync(repository, backup.Snapshot, dump.Item, CancellationToken.None), minimumLines: 1000);
        Assert.Equal(storedDigest, await PgDumpDigestAsync(restored, null, minimumLines: 1000));
    }

    [Fact]
    public async Task A_snapshot_with_the_server_side_fingerprint_still_restores_and_verifies()
    {
        var server = fixture.Server;
        var db = await server.CreateDatabaseAsync("md5print");
        await server.ExecuteAsync(db, AwkwardTypes);
        var repository = await Repositories.NewSmallAsync();
        var engine = PostgresFixture.Engine();
        var source = (PostgresBackupSource)engine.CreateSource(fixture.Source([db]));
        source.ServerSideFingerprint = true;
        var backup = await SourceBackupRunner.RunAsync(repository, [source], new SnapshotRequest("md5print", null, null), null, CancellationToken.None);
        var manifest = await SnapshotItems.LoadManifestAsync(repository, backup.Snapshot.Sources![0], CancellationToken.None);
        var dump = Assert.Single(manifest.Databases);
        Assert.Null(dump.FingerprintVersion);
        Assert.NotNull(dump.Parts);
        // The md5 sum of §51: a decimal number, not the 32 hex digits of the client-side hash.
        Assert.Matches("^-?[0-9]+$", dump.Tables.Single(t => t.Table == "public.awkward").Hash);

        var restored = $"restored_{Guid.NewGuid():N}";
        var result = await engine.RestoreAsync(Request(repository, backup.Snapshot, manifest, dump, fixture.Reference(restored)), CancellationToken.None);
        Assert.Equal(dump.Tables.Count, result.Tables);
        Assert.Equal(1000, result.Rows);

        // And it is the old method that verified: a changed row fails it.
        var tampered = RestorerThatChanges("UPDATE awkward SET amount = amount + 1 WHERE id = 7");
        var again = $"restored_{Guid.NewGuid():N}";
        var mismatch = await Assert.ThrowsAsync<FingerprintMismatchException>(
            () => tampered.RestoreAsync(Request(repository, backup.Snapshot, manifest, dump, fixture.Reference(again)), CancellationToken.None));
        var table = Assert.Single(mismatch.Tables);
        Assert.Equal("public.awkward", table.Table);
        Assert.Matches("^-?[0-9]+$", table.Actual!.Hash);
    }

    [Fact]
    public async Task A_row_changed_in_the_restored_database_before_verification_fails_the_restore_naming_the_table()
    {
        var server = fixture.Server;
        var db = await server.CreateDatabaseAsync("tamper");
        await server.ExecuteAsync(db, AwkwardTypes + """
            CREATE TABLE bystander (id int PRIMARY KEY, note text);
            INSERT INTO bystander SELECT g, 'n' || g FROM generate_series(1, 300) g;
            """);
        var repository = await Repositories.NewSmallAsync();
        var engine = PostgresFixture.Engine();
        var backup = await SourceBackupRunner.RunAsync(repository, [engine.CreateSource(fixture.Source([db]))], new SnapshotRequest("tamper", null, null), null, CancellationToken.None);
        var manifest = await SnapshotItems.LoadManifestAsync(repository, backup.Snapshot.Sources![0], CancellationToken.None);
        var dump = Assert.Single(manifest.Databases);
        Assert.Equal(2, dump.FingerprintVersion);
        // One byte of one row's bytea: same row count, other content.
        var restorer = RestorerThatChanges("UPDATE awkward SET payload = set_byte(payload, 0, (get_byte(payload, 0) + 1) % 256) WHERE id = 500");

        var restored = $"restored_{Guid.NewGuid():N}";
        var mismatch = await Assert.ThrowsAsync<FingerprintMismatchException>(
            () => restorer.RestoreAsync(Request(repository, backup.Snapshot, manifest, dump, fixture.Reference(restored)), CancellationToken.None));

        var table = Assert.Single(mismatch.Tables);
        Assert.Equal("public.awkward", table.Table);
        Assert.Equal(1000, table.Actual!.Rows);
        Assert.NotEqual(table.Expected!.Hash, table.Actual.Hash);
        Assert.Contains("table public.awkward: 1000 rows (hash ", mismatch.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("bystander", mismatch.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', mismatch.Message);

        // A part swapped for another table's rows of the same shape is caught the same way.
        await server.ExecuteAsync(db, "CREATE TABLE twin (id int PRIMARY KEY, note text); INSERT INTO twin SELECT g, 't' || g FROM generate_series(1, 300) g;");
        var second = await SourceBackupRunner.RunAsync(repository, [engine.CreateSource(fixture.Source([db]))], new SnapshotRequest("tamper", null, null), null, CancellationToken.None);
        var manifest2 = await SnapshotItems.LoadManifestAsync(repository, second.Snapshot.Sources![0], CancellationToken.None);
        var dump2 = Assert.Single(manifest2.Databases);
        var twin = dump2.Parts!.Single(p => p.Table == "public.twin");
        var swapped = dump2 with { Parts = [.. dump2.Parts!.Select(p => p.Table == "public.bystander" ? twin with { Table = "public.bystander" } : p)] };
        var other = $"restored_{Guid.NewGuid():N}";
        var swappedMismatch = await Assert.ThrowsAsync<FingerprintMismatchException>(
            () => engine.RestoreAsync(Request(repository, second.Snapshot, manifest2, swapped, fixture.Reference(other)), CancellationToken.None));
        Assert.Equal("public.bystander", Assert.Single(swappedMismatch.Tables).Table);
    }

    [Fact]
    public async Task Indexes_constraints_and_keys_restore_in_parallel_and_the_dump_equals_the_source()
    {
        var server = fixture.Server;
        var db = await server.CreateDatabaseAsync("keys");
        await server.ExecuteAsync(db, AwkwardTypes + """
            CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE, region text);
            INSERT INTO customers SELECT g, 'c' || g || '@example.org', (ARRAY['eu', 'us'])[1 + g % 2] FROM generate_series(1, 2000) g;
            CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer int NOT NULL REFERENCES customers, placed timestamptz, total numeric(12, 2),
                                 doubled numeric GENERATED ALWAYS AS (total * 2) STORED);
            INSERT INTO orders (customer, placed, total) SELECT 1 + g % 2000, '2026-01-01'::timestamptz + g * interval '1 minute', g / 7.0 FROM generate_series(1, 20000) g;
            CREATE INDEX orders_placed ON orders (placed DESC);
            COMMENT ON INDEX orders_placed IS 'newest first';
            CREATE TABLE events (id int, at date NOT NULL, body text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
            CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
            CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
            INSERT INTO events SELECT g, '2026-01-01'::date + g % 700, 'e' || g FROM generate_series(1, 5000) g;
            CREATE INDEX events_body ON events (body);
            CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.region := lower(NEW.region); RETURN NEW; END $$;
            CREATE TRIGGER customers_touch BEFORE INSERT ON customers FOR EACH ROW EXECUTE FUNCTION touch();
            CREATE MATERIALIZED VIEW totals AS SELECT customer, sum(total) AS total FROM orders GROUP BY customer;
            CREATE UNIQUE INDEX totals_customer ON totals (customer);
            SELECT setval('awkward_id_seq', 5000);
            """);
        var repository = await Repositories.NewSmallAsync();
        var engine = PostgresFixture.Engine();
        var policySource = fixture.Source([db]) with { Parallel = 3 };
        var backup = await SourceBackupRunner.RunAsync(repository, [engine.CreateSource(policySource)], new SnapshotRequest("keys", null, null), null, CancellationToken.None);
        var manifest = await SnapshotItems.LoadManifestAsync(repository, backup.Snapshot.Sources![0], CancellationToken.None);
        Assert.Equal(3, manifest.Parallel);
        var dump = Assert.Single(manifest.Databases);

        var restored = $"restored_{Guid.NewGuid():N}";
        await engine.RestoreAsync(Request(repository, backup.Snapshot, manifest, dump, fixture.Reference(restored)), CancellationToken.None);

        // Nothing writes to the source: a pg_dump of it now is one at the backup's snapshot.
        Assert.Equal(await PgDumpDigestAsync(db, null, minimumLines: 20_000), await PgDumpDigestAsync(restored, null, minimumLines: 20_000));
        Assert.Equal("5001", await ScalarAsync(restored, "SELECT nextval('awkward_id_seq')"));
        var fk = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(restored, "INSERT INTO orders (customer) VALUES (999999)"));
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, fk.SqlState);
    }

    [Fact]
    public async Task A_restore_that_fails_midway_leaves_the_database_empty()
    {
        var server = fixture.Server;
        var (repository, engine, backup, manifest, broken) = await BackUpWithAPartThatCannotLoadAsync("broken");

        var restored = $"restored_{Guid.NewGuid():N}";
        var request = Request(repository, backup.Snapshot, manifest, broken, fixture.Reference(restored));
        var copied = await Assert.ThrowsAsync<SourceFailedException>(() => engine.RestoreAsync(request, CancellationToken.None));
        Assert.DoesNotContain('\n', copied.Message);
        Assert.StartsWith($"restore into {restored} at 127.0.0.1:{server.Port} as drorch: extra data after last expected column", copied.Message, StringComparison.Ordinal);

        Assert.Equal("0", await ScalarAsync(restored, """
            SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
            """));
    }

    [Fact]
    public async Task A_failed_restore_into_an_existing_empty_database_leaves_it_empty_with_its_owner_encoding_and_locale()
    {
        var server = fixture.Server;
        var (repository, engine, backup, manifest, broken) = await BackUpWithAPartThatCannotLoadAsync("keepowner");

        // The admin made the target beforehand, for another role, in another encoding and locale than drorch's defaults.
        var restored = $"restored_{Guid.NewGuid():N}";
        var owner = $"owner_{Guid.NewGuid():N}";
        await server.ExecuteAsync("postgres", $"CREATE ROLE {owner} NOLOGIN");
        await server.ExecuteAsync("postgres", $"CREATE DATABASE {restored} OWNER {owner} TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' CONNECTION LIMIT 7");
        const string Describe = "SELECT pg_get_userbyid(datdba) || ' ' || pg_encoding_to_char(encoding) || ' ' || datcollate || ' ' || datctype || ' ' || datconnlimit FROM pg_database WHERE datname = '{0}'";
        var before = await ScalarAsync("postgres", string.Format(System.Globalization.CultureInfo.InvariantCulture, Describe, restored));
        Assert.Equal($"{owner} LATIN1 C C 7", before);

        var request = Request(repository, backup.Snapshot, manifest, broken, fixture.Reference(restored));
        var copied = await Assert.ThrowsAsync<SourceFailedException>(() => engine.RestoreAsync(request, CancellationToken.None));
        Assert.StartsWith($"restore into {restored} at 127.0.0.1:{server.Port} as drorch: extra data after last expected column", copied.Message, StringComparison.Ordinal);

        Assert.Equal(before, await ScalarAsync("postgres", string.Format(System.Globalization.CultureInfo.InvariantCulture, Describe, restored)));
        Assert.Equal("0", await ScalarAsync(restored, """
            SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
            """));
    }

    private const string AwkwardTypes = """
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE TABLE awkward (
            id serial PRIMARY KEY, label text, payload bytea, doc jsonb, amount numeric(30, 10),
            at timestamptz, feeling mood, picture oid);
        INSERT INTO awkward (label, payload, doc, amount, at, feeling, picture)
        SELECT 'Grüße ✓ 日本語 ' || g,
               decode(md5(g::text), 'hex') || '\x00ff'::bytea,
               jsonb_build_object('n', g, 'tags', jsonb_build_array('a', 'ü', g % 7), 'nested', jsonb_build_object('pi', 3.14159265358979)),
               g * 1234567.0123456789,
               '2026-01-01 00:00:00+01'::timestamptz + g * interval '61 minutes 7.25 seconds',
               (ARRAY['sad', 'ok', 'happy'])[1 + g % 3]::mood,
               CASE WHEN g = 1 THEN lo_from_bytea(0, '\x0102deadbeef'::bytea || convert_to(repeat('large object ✓ ', 20000), 'UTF8')) END
        FROM generate_series(1, 1000) g;
        """;

    private string[] Connection(string db) =>
        ["-h", "127.0.0.1", "-p", fixture.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", PostgresServer.User, db];

    private static DatabaseRestoreRequest Request(BackupRepository repository, Snapshot snapshot, DatabaseManifest manifest, DatabaseDump dump, string destination) =>
        new(manifest, dump, destination, new SecretReference(PostgresFixture.PasswordVariable, null), Overwrite: false,
            (item, ct) => SnapshotItems.OpenAsync(repository, snapshot, item, ct));

    /// <summary>
    /// SHA-256 of a plain dump's lines without pg_dump's per-run <c>\restrict</c>/<c>\unrestrict</c>
    /// keys (random each run, so two dumps of the same data differ only there). Streamed. Without
    /// <paramref name="rowOrder"/>, the rows of each COPY block count as a multiset (their count
    /// and the sum of their SHA-256s): every other line still compares in order.
    /// </summary>
    private static async Task<string> DumpDigestAsync(Stream dump, int minimumLines, bool rowOrder = true)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var reader = new StreamReader(dump, Encoding.UTF8);
        long lines = 0;
        (long Rows, UInt128 Sum)? block = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("\\restrict ", StringComparison.Ordinal) || line.StartsWith("\\unrestrict ", StringComparison.Ordinal))
            {
                continue;
            }

            lines++;
            if (block is { } rows && line != "\\.")
            {
                var row = SHA256.HashData(Encoding.UTF8.GetBytes(line));
                block = (rows.Rows + 1, unchecked(rows.Sum + System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(row)));
                continue;
            }

            if (block is { } done)
            {
                sha.AppendData(Encoding.UTF8.GetBytes($"{done.Rows} rows, sum {done.Sum:x32}\n"));
                block = null;
            }

            sha.AppendData(Encoding.UTF8.GetBytes(line + "\n"));
            if (!rowOrder && line.StartsWith("COPY ", StringComparison.Ordinal) && line.EndsWith(" FROM stdin;", StringComparison.Ordinal))
            {
                block = (0, UInt128.Zero);
            }
        }

        Assert.True(lines > minimumLines, $"the dump has only {lines} lines");
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>The digest of a plain pg_dump of <paramref name="db"/> (at <paramref name="snapshot"/> when given).</summary>
    private async Task<string> PgDumpDigestAsync(string db, string? snapshot, int minimumLines, bool rowOrder = true)
    {
        var dump = ToolProcess.Start(
            Path.Combine(fixture.Server.BinDirectory, "pg_dump"),
            [.. Connection(db), "--format=plain", "--encoding=UTF8", .. snapshot is null ? Array.Empty<string>() : ["--snapshot=" + snapshot]],
            new Dictionary<string, string?> { ["PGPASSWORD"] = fixture.Server.Password }, []);
        await using (dump)
        {
            var digest = await DumpDigestAsync(dump.Output, minimumLines, rowOrder);
            await dump.WaitForSuccessAsync($"pg_dump of {db}", CancellationToken.None);
            return digest;
        }
    }

    /// <summary>A restorer that runs <paramref name="sql"/> (changing one row) in the restored database once the tables are loaded, before anything is verified.</summary>
    private PostgresRestorer RestorerThatChanges(string sql) =>
        new(new PostgresSourceOptions { ConnectTimeout = TimeSpan.FromSeconds(5) }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
        {
            TablesLoaded = (database, ct) => ExecuteAsync(database, sql, ct),
        };

    private async Task ExecuteAsync(string db, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(fixture.Server.ConnectionStringWithPassword(db));
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        Assert.Equal(1, await command.ExecuteNonQueryAsync(ct));
    }

    private async Task<long> CountAsync(string db, string table) => Convert.ToInt64(await ScalarAsync(db, $"SELECT count(*) FROM {table}"), System.Globalization.CultureInfo.InvariantCulture);

    private async Task<string?> ScalarAsync(string db, string sql)
    {
        await using var connection = new NpgsqlConnection(fixture.Server.ConnectionStringWithPassword(db));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "pgbench made no progress within 2 minutes");
            await Task.Delay(100);
        }
    }

    private sealed record BackupResultFigures(Snapshot Snapshot, long HistoryAfter);

    /// <summary>
    /// Backs up a two-table database and returns its dump with the children's rows (two columns)
    /// aimed at the parents' table (one): restoring it fails in that COPY, after the schema was restored.
    /// </summary>
    private async Task<(BackupRepository Repository, PostgresEngine Engine, Core.Backup.BackupResult Backup, DatabaseManifest Manifest, DatabaseDump Broken)> BackUpWithAPartThatCannotLoadAsync(string name)
    {
        var db = await fixture.Server.CreateDatabaseAsync(name);
        await fixture.Server.ExecuteAsync(db, """
            CREATE TABLE parents (id int PRIMARY KEY);
            INSERT INTO parents SELECT generate_series(1, 100);
            CREATE TABLE children (id int PRIMARY KEY, parent int);
            INSERT INTO children SELECT g, g FROM generate_series(1, 100) g;
            """);
        var repository = await Repositories.NewSmallAsync();
        var engine = PostgresFixture.Engine();
        var backup = await SourceBackupRunner.RunAsync(repository, [engine.CreateSource(fixture.Source([db]))], new SnapshotRequest(name, null, null), null, CancellationToken.None);
        var manifest = await SnapshotItems.LoadManifestAsync(repository, backup.Snapshot.Sources![0], CancellationToken.None);
        var dump = Assert.Single(manifest.Databases);
        var children = dump.Parts!.Single(p => p.Table == "public.children");
        var broken = dump with { Parts = [.. dump.Parts!.Select(p => p.Table == "public.parents" ? children with { Table = "public.parents" } : p)] };
        return (repository, engine, backup, manifest, broken);
    }
}
