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

    public async Task<DatabaseRestoreResult> RestoreAsync(DatabaseRestoreRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (endpoint, target) = PostgresEndpoint.ParseReference(request.Destination, request.Password, options);
        var psql = _tools.Locate("psql");
        var parallel = Math.Clamp(request.Manifest.Parallel ?? 1, 1, DrOrchestrator.Core.Policies.DatabaseSource.MaxParallel);
        Log.RestoreStarting(logger, request.Dump.Name, endpoint.ToString(), target);
        await PrepareAsync(endpoint, target, request.Overwrite, ct).ConfigureAwait(false);

        long bytes;
        if (request.Dump.Parts is not { } parts)
        {
            // The first format (§51): one plain dump, one transaction.
            bytes = await RunPsqlAsync(psql, endpoint, target, request, request.Dump.Item, ct).ConfigureAwait(false);
        }
        else
        {
            try
            {
                bytes = await RestorePartsAsync(psql, endpoint, target, request, parts, parallel, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not DatabaseRestoreRefusedException)
            {
                // Several connections cannot share one transaction: a failed restore empties the
                // database again instead (dropped and created anew), as the single transaction did.
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                await ResetAsync(endpoint, target, timeout.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw;
            }
        }

        var actual = await FingerprintAsync(endpoint, target, parallel, ct).ConfigureAwait(false);
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
    /// first; the post-data's index and key builds on as many; the rest of the post-data (foreign
    /// keys, triggers, attachments, comments, grants) in one psql transaction, in dump order.
    /// </summary>
    private static async Task<long> RestorePartsAsync(
        string psql, PostgresEndpoint endpoint, string target, DatabaseRestoreRequest request, IReadOnlyList<DumpPart> parts, int parallel, CancellationToken ct)
    {
        long bytes = 0;
        foreach (var schema in parts.Where(p => p.Kind == PostgresParallelDump.SchemaKind))
        {
            bytes += await RunPsqlAsync(psql, endpoint, target, request, schema.Item, ct).ConfigureAwait(false);
        }

        var tables = new ConcurrentQueue<DumpPart>(parts.Where(p => p.Kind == PostgresParallelDump.TableKind).OrderByDescending(p => p.Length));
        await InParallelAsync(endpoint, target, Math.Min(parallel, tables.Count), async (connection, token) =>
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
            var script = PostDataScript.Split(text);
            var builds = new ConcurrentQueue<string>(script.Builds);
            await InParallelAsync(endpoint, target, Math.Min(parallel, builds.Count), async (connection, token) =>
            {
                while (builds.TryDequeue(out var build))
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
                }
            }, ct).ConfigureAwait(false);
            await RunPsqlAsync(psql, endpoint, target, request, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(script.Rest)), ct).ConfigureAwait(false);
        }

        return bytes;
    }

    /// <summary>Runs <paramref name="work"/> on <paramref name="connections"/> connections at once; the first failure cancels the others and is the one thrown.</summary>
    private static async Task InParallelAsync(
        PostgresEndpoint endpoint, string database, int connections, Func<NpgsqlConnection, CancellationToken, Task> work, CancellationToken ct)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var tasks = Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            try
            {
                await using var connection = await endpoint.OpenAsync(database, "restore", failed.Token).ConfigureAwait(false);
                await using (var settings = new NpgsqlCommand(PostgresCopy.SessionSettings, connection))
                {
                    await settings.ExecuteNonQueryAsync(failed.Token).ConfigureAwait(false);
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

    /// <summary>The fingerprint of a database, exactly as the backup computes it.</summary>
    public static Task<List<TableFingerprint>> FingerprintAsync(PostgresEndpoint endpoint, string database, CancellationToken ct) =>
        FingerprintAsync(endpoint, database, 1, ct);

    /// <summary>The fingerprint of a database (nothing writes to it), read on <paramref name="parallel"/> connections, biggest table first.</summary>
    public static async Task<List<TableFingerprint>> FingerprintAsync(PostgresEndpoint endpoint, string database, int parallel, CancellationToken ct)
    {
        List<(string Table, long Bytes)> tables;
        await using (var connection = await endpoint.OpenAsync(database, "fingerprint", ct).ConfigureAwait(false))
        {
            tables = await PostgresFingerprint.ListTablesAsync(connection, null, ct).ConfigureAwait(false);
        }

        var result = new TableFingerprint[tables.Count + 1];
        var jobs = new ConcurrentQueue<int>(Enumerable.Range(0, tables.Count).OrderByDescending(i => tables[i].Bytes).Append(tables.Count));
        await InParallelAsync(endpoint, database, Math.Min(parallel, jobs.Count), async (connection, token) =>
        {
            while (jobs.TryDequeue(out var i))
            {
                result[i] = i == tables.Count
                    ? await PostgresFingerprint.LargeObjectsAsync(connection, null, token).ConfigureAwait(false)
                    : await PostgresFingerprint.TableAsync(connection, null, tables[i].Table, token).ConfigureAwait(false);
            }
        }, ct).ConfigureAwait(false);
        return [.. result];
    }

    /// <summary>Drops and creates the target again, empty (after a failed restore in parts).</summary>
    private static async Task ResetAsync(PostgresEndpoint endpoint, string target, CancellationToken ct)
    {
        await using var admin = await endpoint.OpenAsync(MaintenanceDatabase, "restore", ct).ConfigureAwait(false);
        var quoted = "\"" + target.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted} TEMPLATE template0 ENCODING 'UTF8'", admin);
        await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates the target database when it does not exist; an existing one must be empty (no
    /// relation outside the system schemas, no large object) unless <paramref name="overwrite"/>,
    /// in which case it is dropped and created again.
    /// </summary>
    private async Task PrepareAsync(PostgresEndpoint endpoint, string target, bool overwrite, CancellationToken ct)
    {
        await using var admin = await endpoint.OpenAsync(MaintenanceDatabase, "restore", ct).ConfigureAwait(false);
        bool exists;
        await using (var probe = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @name", admin))
        {
            probe.Parameters.AddWithValue("name", target);
            exists = (long)(await probe.ExecuteScalarAsync(ct).ConfigureAwait(false))! > 0;
        }

        var quoted = "\"" + target.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        if (exists)
        {
            var objects = await CountUserObjectsAsync(endpoint, target, ct).ConfigureAwait(false);
            if (objects == 0)
            {
                return;
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

        await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted} TEMPLATE template0 ENCODING 'UTF8'", admin);
        try
        {
            await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch (PostgresException e)
        {
            throw new SourceFailedException($"restore: cannot create database {target} at {endpoint}: {e.MessageText}", e);
        }
    }

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
