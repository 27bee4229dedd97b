using System.Collections.Concurrent;
using System.Globalization;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Sources;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>
/// One database dumped in parts, all inside the snapshot the exporting transaction exported (as
/// pgcopydb and mydumper do; docs/decisions.md §59):
/// <list type="bullet">
/// <item><c>schema.sql</c>: <c>pg_dump --section=pre-data --section=data</c> without the data of
/// the tables copied below — the schema plus what else pg_dump's data section carries (sequence
/// values, large objects, extension configuration tables);</item>
/// <item><c>tables/NNNNN.copy</c>: one <c>COPY … TO STDOUT</c> text stream per table;</item>
/// <item><c>post-data.sql</c>: <c>pg_dump --section=post-data</c> (indexes, constraints, triggers…).</item>
/// </list>
/// The tables are copied on <c>parallel</c> connections (the exporting one and <c>parallel - 1</c>
/// that import its snapshot), biggest table first; each stream goes straight into the repository
/// writer and is fingerprinted as it passes (<see cref="PostgresFingerprint.ClientSide"/>, §65;
/// the <see cref="PostgresFingerprint.ServerSide"/> version runs the server's md5 scan of each
/// table beside its COPY instead).
/// </summary>
internal sealed class PostgresParallelDump(
    RepositoryWriter writer, PostgresEndpoint endpoint, DatabaseSource source, string pgDump, string database, string what, int parallel,
    long splitBytes, ILogger logger, int fingerprintVersion = PostgresFingerprint.ClientSide)
{
    public const string SchemaKind = "schema";
    public const string TableKind = "table";
    public const string PostDataKind = "post-data";

    private readonly string _prefix = $"{source.Name}/{database}";

    // Each step's end, on the Debug log: where a dump's wall time goes (bench/db.py, §65).
    private readonly System.Diagnostics.Stopwatch _elapsed = new();

    public async Task<DatabaseDump> RunAsync(NpgsqlConnection exporter, NpgsqlTransaction transaction, string snapshot, CancellationToken ct)
    {
        _elapsed.Restart();
        var tables = await PostgresFingerprint.ListTablesAsync(exporter, transaction, ct).ConfigureAwait(false);
        if (tables.Count > 0)
        {
            // Held to the end, as pg_dump does: no table can be dropped or altered while it is read.
            await using var lockTables = new NpgsqlCommand($"LOCK TABLE {string.Join(", ", tables.Select(t => t.Table))} IN ACCESS SHARE MODE", exporter, transaction);
            await lockTables.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        // A big table is read in ctid ranges on every connection (§65): one stream per range, so
        // the one table that dominates a database (pgbench's accounts) is not one connection's work.
        // The fingerprint hashes each stream as it passes, except for a table with generated
        // columns, which the stream leaves out: its rows are hashed by a COPY of all columns.
        var generated = fingerprintVersion == PostgresFingerprint.ClientSide
            ? await TableRanges.WithGeneratedColumnsAsync(exporter, transaction, ct).ConfigureAwait(false)
            : [];
        var ranges = new IReadOnlyList<string>[tables.Count];
        var hashSources = new IReadOnlyList<string>?[tables.Count];
        var canSplit = parallel > 1 && splitBytes > 0 && TableRanges.CanSplit(exporter);
        for (var i = 0; i < tables.Count; i++)
        {
            var split = canSplit && tables[i].Bytes > splitBytes;
            var layout = split || generated.Contains(tables[i].Table)
                ? await TableRanges.ReadAsync(exporter, transaction, tables[i].Table, ct).ConfigureAwait(false)
                : null;
            ranges[i] = split ? layout!.Split(parallel) : [tables[i].Table];
            hashSources[i] = layout?.AllColumns is null ? null : layout.HashSources(ranges[i].Count);
        }

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = failed.Token;
        var fingerprints = new TableFingerprint[tables.Count + 1];
        var parts = ranges.Select(r => new DumpPart?[r.Count]).ToArray();
        var hashers = ranges.Select(r => r.Select(_ => new CopyRowHasher()).ToArray()).ToArray();
        var jobs = new ConcurrentQueue<Job>(
            tables.Select((t, i) => (Bytes: t.Bytes / ranges[i].Count, i))
                .OrderByDescending(t => t.Bytes)
                .SelectMany(t => Enumerable.Range(0, ranges[t.i].Count).Select(part => new Job(JobKind.Copy, t.i, part))
                    .Concat(fingerprintVersion == PostgresFingerprint.ServerSide ? [new Job(JobKind.Fingerprint, t.i)] : [])
                    .Concat(Enumerable.Range(0, hashSources[t.i]?.Count ?? 0).Select(part => new Job(JobKind.Hash, t.i, part))))
                .Append(new Job(JobKind.LargeObjects, tables.Count)));

        async Task WorkAsync(NpgsqlConnection connection, NpgsqlTransaction? tx)
        {
            while (jobs.TryDequeue(out var job))
            {
                token.ThrowIfCancellationRequested();
                switch (job.Kind)
                {
                    case JobKind.Copy:
                        parts[job.Table][job.Part] = await CopyAsync(
                            connection, tables[job.Table].Table, ranges[job.Table], job.Table, job.Part,
                            hashSources[job.Table] is null ? hashers[job.Table][job.Part] : null, token).ConfigureAwait(false);
                        StepDone(parts[job.Table][job.Part]!.Item);
                        break;
                    case JobKind.Hash:
                        await PostgresFingerprint.HashCopyAsync(connection, hashSources[job.Table]![job.Part], hashers[job.Table][job.Part], token).ConfigureAwait(false);
                        break;
                    case JobKind.Fingerprint:
                        fingerprints[job.Table] = await PostgresFingerprint.TableAsync(connection, tx, tables[job.Table].Table, token).ConfigureAwait(false);
                        break;
                    default:
                        fingerprints[job.Table] = fingerprintVersion == PostgresFingerprint.ClientSide
                            ? await PostgresFingerprint.LargeObjectsFromCopyAsync(connection, tx, token).ConfigureAwait(false)
                            : await PostgresFingerprint.LargeObjectsAsync(connection, tx, token).ConfigureAwait(false);
                        break;
                }
            }
        }

        var excluded = tables.Select(t => "--exclude-table-data=" + t.Table);
        var work = new List<Task>
        {
            GuardAsync(failed, DumpAsync($"{_prefix}/schema.sql", snapshot, ["--section=pre-data", "--section=data", .. excluded], token)),
            GuardAsync(failed, DumpAsync($"{_prefix}/post-data.sql", snapshot, ["--section=post-data"], token)),
            GuardAsync(failed, WorkAsync(exporter, transaction)),
        };
        work.AddRange(Enumerable.Range(1, Math.Max(0, Math.Min(parallel, jobs.Count) - 1)).Select(_ => GuardAsync(failed, ImporterAsync(snapshot, WorkAsync, token))));
        await Task.WhenAll(work).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        // The first real failure (a pg_dump exit code, a COPY error), not the cancellations it caused in the others.
        var failure = work.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException)
            ?? work.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null);
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        ct.ThrowIfCancellationRequested();
        var schema = ((Task<DumpPart>)work[0]).Result;
        var postData = ((Task<DumpPart>)work[1]).Result;
        if (fingerprintVersion == PostgresFingerprint.ClientSide)
        {
            for (var i = 0; i < tables.Count; i++)
            {
                var total = new CopyRowHasher();
                foreach (var part in hashers[i])
                {
                    total.Add(part);
                }

                fingerprints[i] = total.ToFingerprint(tables[i].Table);
            }
        }

        List<DumpPart> all = [schema, .. parts.SelectMany(p => p).Select(p => p!), postData];
        return new DatabaseDump(database, schema.Item, default, schema.Sha256, schema.Length, fingerprints, all,
            fingerprintVersion == PostgresFingerprint.ServerSide ? null : fingerprintVersion);
    }

    /// <summary>A worker connection inside the exported snapshot (<c>SET TRANSACTION SNAPSHOT</c>).</summary>
    private async Task ImporterAsync(string snapshot, Func<NpgsqlConnection, NpgsqlTransaction?, Task> work, CancellationToken ct)
    {
        await using var connection = await endpoint.OpenAsync(database, $"source {source.Name}", ct).ConfigureAwait(false);
        await using (var settings = new NpgsqlCommand(PostgresCopy.SessionSettings, connection))
        {
            await settings.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        await using (var import = new NpgsqlCommand($"SET TRANSACTION READ ONLY; SET TRANSACTION SNAPSHOT '{snapshot}'", connection, transaction))
        {
            await import.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await work(connection, transaction).ConfigureAwait(false);
    }

    /// <summary>One table's rows, or one ctid range of them (<c>tables/NNNNN.K.copy</c>), into the repository.</summary>
    private async Task<DumpPart> CopyAsync(
        NpgsqlConnection connection, string table, IReadOnlyList<string> ranges, int index, int part, CopyRowHasher? hasher, CancellationToken ct)
    {
        var item = $"{_prefix}/tables/{index.ToString("D5", CultureInfo.InvariantCulture)}"
            + (ranges.Count == 1 ? "" : "." + part.ToString(CultureInfo.InvariantCulture)) + ".copy";
        var (copy, rows) = await PostgresCopy.OpenExportAsync(connection, ranges[part], hasher, ct).ConfigureAwait(false);
        using (copy)
        {
            var stored = await writer.AddStreamAsync(item, rows, ct).ConfigureAwait(false);
            return new DumpPart(TableKind, item, stored.Sha256, stored.Length, table);
        }
    }

    private async Task<DumpPart> DumpAsync(string item, string snapshot, IEnumerable<string> section, CancellationToken ct)
    {
        var dump = ToolProcess.Start(
            pgDump,
            [.. endpoint.ToolArguments(database), "--snapshot=" + snapshot, "--format=plain", "--no-sync", "--encoding=UTF8", .. section],
            endpoint.ToolEnvironment(),
            endpoint.Secrets());
        await using (dump.ConfigureAwait(false))
        {
            var stored = await writer.AddStreamAsync(item, dump.Output, ct).ConfigureAwait(false);
            // A dump that ends early (the tool died, the server went away) ends its stream like a complete one: only the exit code tells.
            await dump.WaitForSuccessAsync(what, ct).ConfigureAwait(false);
            StepDone(item);
            return new DumpPart(item.EndsWith("schema.sql", StringComparison.Ordinal) ? SchemaKind : PostDataKind, item, stored.Sha256, stored.Length);
        }
    }

    private void StepDone(string step) => Log.DumpStepDone(logger, database, step, _elapsed.Elapsed.TotalSeconds);

    /// <summary>The first failure cancels the other workers (their own error is then a cancellation).</summary>
    private static async Task GuardAsync(CancellationTokenSource failed, Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<T> GuardAsync<T>(CancellationTokenSource failed, Task<T> task)
    {
        try
        {
            return await task.ConfigureAwait(false);
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private enum JobKind
    {
        Copy,
        Hash,
        Fingerprint,
        LargeObjects,
    }

    private readonly record struct Job(JobKind Kind, int Table, int Part = 0);
}
