using System.Collections.Concurrent;
using DrOrchestrator.Core.Sources;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>
/// Restores one dump into a new or empty database, then computes the restored database's
/// fingerprint the same way as at backup and compares. A dump in parts (§59) restores on the
/// backup's number of connections; a single-stream dump (§51) streams into
/// <c>psql --single-transaction</c>. Either way a failed restore leaves the database empty.
/// </summary>
internal sealed class PostgresRestorer(PostgresSourceOptions options, ILogger logger)
{
    private const string MaintenanceDatabase = "postgres";
    private readonly PostgresTools _tools = new(options);

    // Each step's end, on the Debug log: where a restore's wall time goes (bench/db.py, §65).
    private readonly System.Diagnostics.Stopwatch _elapsed = new();

    /// <summary>
    /// Tests only: called with the target database when every table is loaded and before anything
    /// is verified (the tampering test changes a row there).
    /// </summary>
    internal Func<string, CancellationToken, Task>? TablesLoaded { get; set; }

    /// <summary>A table whose stored COPY text is larger than this is verified in ctid ranges on every connection (§65).</summary>
    internal const long SplitVerifyBytes = 64L << 20;

    public async Task<DatabaseRestoreResult> RestoreAsync(DatabaseRestoreRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (endpoint, target) = PostgresEndpoint.ParseReference(request.Destination, request.Password, options);
        var psql = _tools.Locate("psql");
        var parallel = Math.Clamp(request.Manifest.Parallel ?? 1, 1, DrOrchestrator.Core.Policies.DatabaseSource.MaxParallel);
        var version = request.Dump.FingerprintVersion ?? PostgresFingerprint.ServerSide;
        if (version is not (PostgresFingerprint.ServerSide or PostgresFingerprint.ClientSide))
        {
            throw new DatabaseRestoreRefusedException(
                $"database {request.Dump.Name}: the snapshot's fingerprint version {version} is newer than this drorch knows; restore with the drorch that took it or a newer one");
        }

        Log.RestoreStarting(logger, request.Dump.Name, endpoint.ToString(), target);
        _elapsed.Restart();
        var created = await PrepareAsync(endpoint, target, request.Overwrite, ct).ConfigureAwait(false);
        StepDone(target, "database prepared");

        long bytes;
        List<TableFingerprint>? actual = null;
        if (request.Dump.Parts is not { } parts)
        {
            // The first format (§51): one plain dump, one transaction.
            bytes = await RunPsqlAsync(psql, endpoint, target, request, request.Dump.Item, ct).ConfigureAwait(false);
            if (TablesLoaded is { } loaded)
            {
                await loaded(target, ct).ConfigureAwait(false);
            }
        }
        else
        {
            try
            {
                (bytes, actual) = await RestorePartsAsync(psql, endpoint, target, request, parts, parallel, version, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not DatabaseRestoreRefusedException)
            {
                // Several connections cannot share one transaction: a failed restore empties the
                // database again instead (dropped and created anew), as the single transaction did.
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                await ResetAsync(endpoint, target, created, timeout.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw;
            }
        }

        actual ??= await FingerprintAsync(endpoint, target, version, parallel, ct).ConfigureAwait(false);
        StepDone(target, "fingerprint read");
        var differences = TableFingerprint.Compare(request.Dump.Tables, actual);
        if (differences.Count > 0)
        {
            throw new FingerprintMismatchException($"{target} at {endpoint}", differences);
        }

        var rows = PostgresFingerprint.TotalRows(actual);
        Log.RestoreVerified(logger, endpoint.ToString(), target, actual.Count, rows);
        return new DatabaseRestoreResult(request.Dump.Name, request.Destination, actual.Count, rows, bytes, request.Dump.RecoveryPoint);
    }

    /// <summary>
    /// A dump in parts (§59): the schema (and sequence values, large objects) in one psql
    /// transaction; the tables' COPY streams on <paramref name="parallel"/> connections, biggest
    /// first; then, on as many connections, the post-data's index and key builds together with the
    /// fingerprint of the <see cref="PostgresFingerprint.ClientSide"/> version (each restored table
    /// copied back out and hashed here, a big one in ctid ranges on every connection; §65); the
    /// rest of the post-data (foreign keys, triggers, attachments, comments, grants) in one psql
    /// transaction, in dump order. Returns the fingerprint when it was taken here (else null: the
    /// <see cref="PostgresFingerprint.ServerSide"/> one is computed after everything, as before).
    /// </summary>
    private async Task<(long Bytes, List<TableFingerprint>? Fingerprint)> RestorePartsAsync(
        string psql, PostgresEndpoint endpoint, string target, DatabaseRestoreRequest request, IReadOnlyList<DumpPart> parts, int parallel, int version,
        CancellationToken ct)
    {
        var settings = SettingsFor(version);
        long bytes = 0;
        foreach (var schema in parts.Where(p => p.Kind == PostgresParallelDump.SchemaKind))
        {
            bytes += await RunPsqlAsync(psql, endpoint, target, request, schema.Item, ct).ConfigureAwait(false);
        }

        StepDone(target, "schema");

        var tableParts = parts.Where(p => p.Kind == PostgresParallelDump.TableKind).ToList();
        var tables = new ConcurrentQueue<DumpPart>(tableParts.OrderByDescending(p => p.Length));
        await InParallelAsync(endpoint, target, settings, Math.Min(parallel, tables.Count), async (connection, token) =>
        {
            while (tables.TryDequeue(out var table))
            {
                var rows = await request.OpenItem(table.Item, token).ConfigureAwait(false);
                await using (rows.ConfigureAwait(false))
                {
                    Interlocked.Add(ref bytes, await PostgresCopy.ImportAsync(connection, table.Table!, rows, token).ConfigureAwait(false));
                }
            }
        }, ct).ConfigureAwait(false);

        StepDone(target, "tables loaded");
        if (TablesLoaded is { } loaded)
        {
            await loaded(target, ct).ConfigureAwait(false);
        }

        PostDataScript? script = null;
        foreach (var postData in parts.Where(p => p.Kind == PostgresParallelDump.PostDataKind))
        {
            string text;
            var stream = await request.OpenItem(postData.Item, ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            using (var reader = new StreamReader(stream, System.Text.Encoding.UTF8))
            {
                // DDL only (no rows): small enough to split in memory.
                text = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
            }

            bytes += System.Text.Encoding.UTF8.GetByteCount(text);
            script = PostDataScript.Split(text);
        }

        var jobs = new ConcurrentQueue<Func<NpgsqlConnection, CancellationToken, Task>>();
        Func<List<TableFingerprint>>? fingerprint = null;
        if (version == PostgresFingerprint.ClientSide)
        {
            fingerprint = await QueueVerificationAsync(endpoint, target, tableParts, parallel, jobs, ct).ConfigureAwait(false);
        }

        foreach (var build in script?.Builds ?? [])
        {
            jobs.Enqueue(async (connection, token) =>
            {
                await using var command = new NpgsqlCommand(build, connection);
                try
                {
                    await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }
                catch (PostgresException e)
                {
                    throw new SourceFailedException($"restore of {request.Dump.Name} into {target} at {endpoint}: {e.MessageText} (in: {FirstStatement(build)})", e);
                }
            });
        }

        await InParallelAsync(endpoint, target, settings, Math.Min(parallel, jobs.Count), async (connection, token) =>
        {
            while (jobs.TryDequeue(out var job))
            {
                await job(connection, token).ConfigureAwait(false);
            }
        }, ct).ConfigureAwait(false);
        StepDone(target, "index and key builds" + (fingerprint is null ? "" : " with the verification"));
        if (script is not null)
        {
            await RunPsqlAsync(psql, endpoint, target, request, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(script.Rest)), ct).ConfigureAwait(false);
            StepDone(target, "rest of the post-data");
        }

        return (bytes, fingerprint?.Invoke());
    }

    /// <summary>
    /// Queues the <see cref="PostgresFingerprint.ClientSide"/> check of the restored tables
    /// (biggest first; one above <see cref="SplitVerifyBytes"/> in <paramref name="parallel"/>
    /// ctid ranges) and the large objects; the returned function folds the results once every
    /// job has run. A job reads one table, so it waits for (or holds up) that table's primary key
    /// build only, never a deadlock: it holds no other lock.
    /// </summary>
    private static async Task<Func<List<TableFingerprint>>> QueueVerificationAsync(
        PostgresEndpoint endpoint, string target, IReadOnlyList<DumpPart> tableParts, int parallel,
        ConcurrentQueue<Func<NpgsqlConnection, CancellationToken, Task>> jobs, CancellationToken ct)
    {
        List<(string Table, long Bytes)> tables;
        var ranges = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        await using (var connection = await endpoint.OpenAsync(target, "fingerprint", ct).ConfigureAwait(false))
        {
            tables = await PostgresFingerprint.ListTablesAsync(connection, null, ct).ConfigureAwait(false);
            var generated = await TableRanges.WithGeneratedColumnsAsync(connection, null, ct).ConfigureAwait(false);
            var stored = tableParts.GroupBy(p => p.Table!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(p => p.Length), StringComparer.Ordinal);
            var canSplit = parallel > 1 && TableRanges.CanSplit(connection);
            foreach (var (table, _) in tables)
            {
                var split = canSplit && stored.GetValueOrDefault(table) > SplitVerifyBytes;
                ranges[table] = split || generated.Contains(table)
                    ? (await TableRanges.ReadAsync(connection, null, table, ct).ConfigureAwait(false)).HashSources(split ? parallel : 1)
                    : [table];
            }
        }

        var hashers = tables.ToDictionary(t => t.Table, t => ranges[t.Table].Select(_ => new CopyRowHasher()).ToArray(), StringComparer.Ordinal);
        foreach (var (table, _) in tables.OrderByDescending(t => t.Bytes))
        {
            for (var i = 0; i < ranges[table].Count; i++)
            {
                var (what, hasher) = (ranges[table][i], hashers[table][i]);
                jobs.Enqueue((connection, token) => PostgresFingerprint.HashCopyAsync(connection, what, hasher, token));
            }
        }

        TableFingerprint? largeObjects = null;
        jobs.Enqueue(async (connection, token) => largeObjects = await PostgresFingerprint.LargeObjectsFromCopyAsync(connection, null, token).ConfigureAwait(false));
        return () =>
        {
            var result = tables.Select(t =>
            {
                var total = new CopyRowHasher();
                foreach (var part in hashers[t.Table])
                {
                    total.Add(part);
                }

                return total.ToFingerprint(t.Table);
            }).ToList();
            result.Add(largeObjects!);
            return result;
        };
    }

    private void StepDone(string target, string step) => Log.RestoreStepDone(logger, target, step, _elapsed.Elapsed.TotalSeconds);

    private static string SettingsFor(int fingerprintVersion) =>
        fingerprintVersion == PostgresFingerprint.ServerSide ? PostgresCopy.ServerSideFingerprintSettings : PostgresCopy.SessionSettings;

    /// <summary>Runs <paramref name="work"/> on <paramref name="connections"/> connections at once; the first failure cancels the others and is the one thrown.</summary>
    private static async Task InParallelAsync(
        PostgresEndpoint endpoint, string database, string settings, int connections, Func<NpgsqlConnection, CancellationToken, Task> work, CancellationToken ct)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var tasks = Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            try
            {
                await using var connection = await endpoint.OpenAsync(database, "restore", failed.Token).ConfigureAwait(false);
                await using (var set = new NpgsqlCommand(settings, connection))
                {
                    await set.ExecuteNonQueryAsync(failed.Token).ConfigureAwait(false);
                }

                await work(connection, failed.Token).ConfigureAwait(false);
            }
            catch
            {
                await failed.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }, CancellationToken.None)).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var failure = tasks.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException)
            ?? tasks.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null);
        if (failure is PostgresException pg)
        {
            throw new SourceFailedException($"restore into {database} at {endpoint}: {pg.MessageText}{(pg.TableName is null ? "" : $" (table {pg.TableName})")}", pg);
        }

        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        ct.ThrowIfCancellationRequested();
    }

    private static string FirstStatement(string sql) =>
        sql.Split('\n').FirstOrDefault(l => l.Length > 0 && !l.StartsWith("--", StringComparison.Ordinal) && !l.StartsWith("SET ", StringComparison.Ordinal) && !l.StartsWith("SELECT pg_catalog.set_config", StringComparison.Ordinal)) ?? "";

    private static async Task<long> RunPsqlAsync(string psql, PostgresEndpoint endpoint, string target, DatabaseRestoreRequest request, string item, CancellationToken ct)
    {
        var dump = await request.OpenItem(item, ct).ConfigureAwait(false);
        return await RunPsqlAsync(psql, endpoint, target, request, dump, ct).ConfigureAwait(false);
    }

    /// <summary>Streams SQL into <c>psql --single-transaction</c>: it applies all of it or nothing.</summary>
    private static async Task<long> RunPsqlAsync(string psql, PostgresEndpoint endpoint, string target, DatabaseRestoreRequest request, Stream dump, CancellationToken ct)
    {
        long bytes;
        var tool = ToolProcess.Start(
            psql,
            [.. endpoint.ToolArguments(target), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", "--output=/dev/null", "--file=-"],
            endpoint.ToolEnvironment(),
            endpoint.Secrets(),
            writesInput: true);
        await using (tool.ConfigureAwait(false))
        {
            await using (dump.ConfigureAwait(false))
            {
                try
                {
                    await dump.CopyToAsync(tool.Input, 1 << 20, ct).ConfigureAwait(false);
                    bytes = dump.Position;
                }
                catch (IOException) when (ExitedEarly(tool))
                {
                    // psql stopped reading (it failed on a statement): its own message says why.
                    bytes = dump.Position;
                }
                finally
                {
                    tool.Input.Close();
                }
            }

            await tool.WaitForSuccessAsync($"restore of {request.Dump.Name} into {target} at {endpoint}", ct).ConfigureAwait(false);
        }

        return bytes;
    }

    /// <summary>The fingerprint of a database (nothing writes to it) in <paramref name="version"/>, exactly as the backup computes it.</summary>
    public static Task<List<TableFingerprint>> FingerprintAsync(PostgresEndpoint endpoint, string database, int version, CancellationToken ct) =>
        FingerprintAsync(endpoint, database, version, 1, ct);

    /// <summary>The fingerprint of a database (nothing writes to it) in <paramref name="version"/>, read on <paramref name="parallel"/> connections, biggest table first.</summary>
    public static async Task<List<TableFingerprint>> FingerprintAsync(PostgresEndpoint endpoint, string database, int version, int parallel, CancellationToken ct)
    {
        var clientSide = version == PostgresFingerprint.ClientSide;
        List<(string Table, long Bytes)> tables;
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var connection = await endpoint.OpenAsync(database, "fingerprint", ct).ConfigureAwait(false))
        {
            tables = await PostgresFingerprint.ListTablesAsync(connection, null, ct).ConfigureAwait(false);
            foreach (var table in clientSide ? await TableRanges.WithGeneratedColumnsAsync(connection, null, ct).ConfigureAwait(false) : [])
            {
                sources[table] = (await TableRanges.ReadAsync(connection, null, table, ct).ConfigureAwait(false)).HashSources(1)[0];
            }
        }

        var result = new TableFingerprint[tables.Count + 1];
        var jobs = new ConcurrentQueue<int>(Enumerable.Range(0, tables.Count).OrderByDescending(i => tables[i].Bytes).Append(tables.Count));
        await InParallelAsync(endpoint, database, SettingsFor(version), Math.Min(parallel, jobs.Count), async (connection, token) =>
        {
            while (jobs.TryDequeue(out var i))
            {
                result[i] = (i == tables.Count, clientSide) switch
                {
                    (true, true) => await PostgresFingerprint.LargeObjectsFromCopyAsync(connection, null, token).ConfigureAwait(false),
                    (true, false) => await PostgresFingerprint.LargeObjectsAsync(connection, null, token).ConfigureAwait(false),
                    (false, true) => await PostgresFingerprint.TableFromCopyAsync(connection, tables[i].Table, sources.GetValueOrDefault(tables[i].Table, tables[i].Table), token).ConfigureAwait(false),
                    (false, false) => await PostgresFingerprint.TableAsync(connection, null, tables[i].Table, token).ConfigureAwait(false),
                };
            }
        }, ct).ConfigureAwait(false);
        return [.. result];
    }

    /// <summary>
    /// Drops and creates the target again, empty (after a failed restore in parts), as
    /// <paramref name="created"/> says it was made: with the owner, encoding, locale, tablespace
    /// and connection limit a pre-existing target had.
    /// </summary>
    private static async Task ResetAsync(PostgresEndpoint endpoint, string target, string created, CancellationToken ct)
    {
        await using var admin = await endpoint.OpenAsync(MaintenanceDatabase, "restore", ct).ConfigureAwait(false);
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {QuoteIdentifier(target)} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await using var create = new NpgsqlCommand(created, admin);
        await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates the target database when it does not exist; an existing one must be empty (no
    /// relation outside the system schemas, no large object) unless <paramref name="overwrite"/>,
    /// in which case it is dropped and created again as it was (owner, encoding, locale, tablespace,
    /// connection limit). Returns the <c>CREATE DATABASE</c> statement that makes the target as it
    /// is now, for <see cref="ResetAsync"/>.
    /// </summary>
    private async Task<string> PrepareAsync(PostgresEndpoint endpoint, string target, bool overwrite, CancellationToken ct)
    {
        await using var admin = await endpoint.OpenAsync(MaintenanceDatabase, "restore", ct).ConfigureAwait(false);
        var quoted = QuoteIdentifier(target);
        var create = $"CREATE DATABASE {quoted} TEMPLATE template0 ENCODING 'UTF8'";
        if (await DescribeAsync(admin, target, ct).ConfigureAwait(false) is { } existing)
        {
            create = existing;
            var objects = await CountUserObjectsAsync(endpoint, target, ct).ConfigureAwait(false);
            if (objects == 0)
            {
                return create;
            }

            if (!overwrite)
            {
                throw new DatabaseRestoreRefusedException(
                    $"--to-db: database {target} at {endpoint} is not empty ({objects} relations or large objects); restore into a new database or pass --overwrite to replace it");
            }

            Log.Overwriting(logger, endpoint.ToString(), target);
            await using var drop = new NpgsqlCommand($"DROP DATABASE {quoted} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using var command = new NpgsqlCommand(create, admin);
        try
        {
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch (PostgresException e)
        {
            throw new SourceFailedException($"restore: cannot create database {target} at {endpoint}: {e.MessageText}", e);
        }

        return create;
    }

    /// <summary>
    /// The <c>CREATE DATABASE</c> statement of an existing database <paramref name="name"/> (null
    /// when there is none): its owner, encoding, collation and character type, locale provider and
    /// its locale (ICU, or PostgreSQL 17's builtin one), tablespace and connection limit. Read
    /// through <c>to_jsonb</c> so a column a server version lacks or renamed (<c>daticulocale</c>
    /// became <c>datlocale</c> in 17) is simply absent.
    /// </summary>
    private static async Task<string?> DescribeAsync(NpgsqlConnection admin, string name, CancellationToken ct)
    {
        await using var describe = new NpgsqlCommand("""
            SELECT quote_ident(pg_get_userbyid(d.datdba)), pg_encoding_to_char(d.encoding), d.datcollate, d.datctype,
                   to_jsonb(d) ->> 'datlocprovider', coalesce(to_jsonb(d) ->> 'datlocale', to_jsonb(d) ->> 'daticulocale'),
                   quote_ident(t.spcname), d.datconnlimit
            FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace
            WHERE d.datname = @name
            """, admin);
        describe.Parameters.AddWithValue("name", name);
        await using var row = await describe.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await row.ReadAsync(ct).ConfigureAwait(false))
        {
            return null;
        }

        static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
        var statement = new System.Text.StringBuilder(
            $"CREATE DATABASE {QuoteIdentifier(name)} OWNER {row.GetString(0)} TEMPLATE template0 ENCODING {Literal(row.GetString(1))} "
            + $"LC_COLLATE {Literal(row.GetString(2))} LC_CTYPE {Literal(row.GetString(3))}");
        var locale = row.IsDBNull(5) ? null : row.GetString(5);
        switch (row.IsDBNull(4) ? "c" : row.GetString(4))
        {
            case "i":
                statement.Append(" LOCALE_PROVIDER icu ICU_LOCALE ").Append(Literal(locale ?? ""));
                break;
            case "b":
                statement.Append(" LOCALE_PROVIDER builtin BUILTIN_LOCALE ").Append(Literal(locale ?? ""));
                break;
        }

        statement.Append(" TABLESPACE ").Append(row.GetString(6))
            .Append(" CONNECTION LIMIT ").Append(row.GetInt32(7).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return statement.ToString();
    }

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static async Task<long> CountUserObjectsAsync(PostgresEndpoint endpoint, string database, CancellationToken ct)
    {
        await using var connection = await endpoint.OpenAsync(database, "restore", ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%')
                 + (SELECT count(*) FROM pg_largeobject_metadata)
            """, connection);
        return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private static bool ExitedEarly(ToolProcess tool)
    {
        try
        {
            return tool.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}
