using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Sources;
using DrOrchestrator.Core.Storage;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.Drill;

/// <summary>
/// The drill of a database source (any <see cref="IDatabaseEngine"/>): every database of the
/// source's manifest is restored into its own scratch database (<see cref="ScratchDatabaseName"/>)
/// on the policy source's server — or in the sandbox for SQLite — through the engine's ordinary
/// restore, which compares the restored database with the fingerprint taken at backup; then the
/// engine's integrity check runs; then the scratch database is dropped, whatever happened.
/// Scratch databases of killed drills of this host are dropped first. Findings become
/// <see cref="DrillMismatch"/>es: one per differing table (<c>ENTRY/DATABASE/TABLE</c>, expected and
/// actual rows and hash), one per integrity problem, one for a restore that failed.
/// </summary>
public sealed class DatabaseSourceDrill(IDatabaseEngine engine, ILogger logger) : ISourceDrill
{
    private static readonly TimeSpan DropTimeout = TimeSpan.FromMinutes(2);

    public string SourceType => engine.Type;

    public async Task<IReadOnlyList<DrillMismatch>> DrillAsync(SourceDrillContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var entry = string.Join(",", context.Source.Entries);
        var server = context.Policy.Sources.OfType<DatabaseSource>().FirstOrDefault(s => s.Type == context.Source.Type && context.Source.Entries.Contains(s.Name));
        if (server is null)
        {
            return [new DrillMismatch(entry, null, null,
                $"the policy has no {context.Source.Type} source named '{entry}' any more, so there is no server to restore it into: not verified")];
        }

        DatabaseManifest manifest;
        try
        {
            manifest = await SnapshotItems.LoadManifestAsync(context.Repository, context.Source, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RepositoryException or ObjectStoreException or IOException)
        {
            return [new DrillMismatch(entry, null, null, "manifest cannot be read: " + e.Message)];
        }

        var scratch = engine.Scratch(server, context.Sandbox);
        try
        {
            await DropLeftoversAsync(scratch, cancellationToken).ConfigureAwait(false);
        }
        catch (SourceFailedException e)
        {
            return [new DrillMismatch(entry, null, null, "no scratch database could be made: " + e.Message)];
        }

        var mismatches = new List<DrillMismatch>();
        foreach (var dump in manifest.Databases)
        {
            mismatches.AddRange(await DrillDatabaseAsync(context, scratch, manifest, dump, $"{server.Name}/{dump.Name}", cancellationToken).ConfigureAwait(false));
        }

        return mismatches;
    }

    private async Task<IReadOnlyList<DrillMismatch>> DrillDatabaseAsync(
        SourceDrillContext context, IScratchDatabases scratch, DatabaseManifest manifest, DatabaseDump dump, string path, CancellationToken cancellationToken)
    {
        var name = ScratchDatabaseName.New();
        try
        {
            DatabaseRestoreResult restored;
            try
            {
                restored = await engine.RestoreAsync(
                    new DatabaseRestoreRequest(manifest, dump, scratch.Reference(name), scratch.Password, Overwrite: false, (item, ct) => OpenItemAsync(context, item, ct)),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (FingerprintMismatchException e) when (e.Tables.Count > 0)
            {
                return [.. e.Tables.Select(d => new DrillMismatch($"{path}/{d.Table}", Describe(d.Expected), Describe(d.Actual), "fingerprint differs: " + d))];
            }
            catch (Exception e) when (e is SourceFailedException or DatabaseRestoreRefusedException or RepositoryException or ObjectStoreException or IOException)
            {
                return [new DrillMismatch(path, null, null, "restore into a scratch database failed: " + e.Message)];
            }

            var integrity = await scratch.CheckIntegrityAsync(name, cancellationToken).ConfigureAwait(false);
            if (integrity.NotRun is not null)
            {
                Log.IntegrityCheckNotRun(logger, context.Policy.Name, path, integrity.NotRun);
            }

            Log.DatabaseDrilled(logger, context.Policy.Name, path, restored.Tables, restored.Rows, integrity.Check, integrity.Problems.Count);
            return [.. integrity.Problems.Select(p => new DrillMismatch(path, null, null, $"integrity check ({integrity.Check}): {p}"))];
        }
        finally
        {
            // Dropped also when the drill is cancelled (the caller's token is no use then); if the
            // server is gone, the next drill on this host drops it (DropLeftoversAsync).
            using var timeout = new CancellationTokenSource(DropTimeout);
            try
            {
                await scratch.DropAsync(name, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SourceFailedException or OperationCanceledException or IOException)
            {
                Log.ScratchDatabaseNotDropped(logger, name, e.Message);
            }
        }
    }

    private async Task DropLeftoversAsync(IScratchDatabases scratch, CancellationToken cancellationToken)
    {
        foreach (var name in await scratch.ListAsync(ScratchDatabaseName.HostPrefix, cancellationToken).ConfigureAwait(false))
        {
            if (ScratchDatabaseName.IsLeftover(name))
            {
                await scratch.DropAsync(name, cancellationToken).ConfigureAwait(false);
                Log.LeftoverScratchDatabaseDropped(logger, name);
            }
        }
    }

    /// <summary>
    /// The dump as restored into the sandbox with the snapshot's files (already SHA-256-verified
    /// there, and read from local disk); from the target when a sampled drill did not restore it.
    /// </summary>
    private static Task<Stream> OpenItemAsync(SourceDrillContext context, string item, CancellationToken ct)
    {
        var restored = Path.Combine(context.Sandbox, item.Replace('/', Path.DirectorySeparatorChar));
        return File.Exists(restored)
            ? Task.FromResult<Stream>(new FileStream(restored, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
            : SnapshotItems.OpenAsync(context.Repository, context.Snapshot, item, ct);
    }

    private static string? Describe(TableFingerprint? table) => table is null ? null : $"{table.Rows} rows, hash {table.Hash}";
}
