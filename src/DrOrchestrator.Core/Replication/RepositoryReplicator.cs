using System.Diagnostics;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Core.Replication;

/// <summary>
/// Copies a repository from one target to another as raw encrypted objects, without the key, so a
/// replica target ends up holding the same logical repository (see README.md in this folder for
/// the ordering argument: a snapshot is written last and only when everything it references is
/// durable on the destination). Idempotent and resumable: a rerun copies only what is missing.
/// </summary>
public sealed class RepositoryReplicator
{
    private readonly ILogger _logger;

    public RepositoryReplicator(ILogger<RepositoryReplicator>? logger = null)
    {
        _logger = logger ?? NullLogger<RepositoryReplicator>.Instance;
    }

    /// <summary>
    /// Brings <paramref name="destination"/> up to date with <paramref name="source"/>. Objects that
    /// fail to copy are listed in <see cref="ReplicationReport.Errors"/> and their snapshots stay
    /// pending; nothing is ever deleted on the destination.
    /// </summary>
    /// <exception cref="ReplicationException">The source holds no repository, the destination holds a
    /// different one, or the destination's keys/config could not be written. Nothing else was written.</exception>
    /// <exception cref="ObjectStoreException">Listing or reading a config failed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the destination is consistent and a rerun resumes.</exception>
    public async Task<ReplicationReport> ReplicateAsync(
        IObjectStore source, IObjectStore destination, ReplicationOptions options, IProgress<ReplicationProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var clock = Stopwatch.StartNew();
        Log.ReplicationStarting(_logger, source.Description, destination.Description);

        var configToCreate = await CheckSameRepositoryAsync(source, destination, ct).ConfigureAwait(false);
        var plan = await ReplicationPlan.CreateAsync(source, destination, _logger, ct).ConfigureAwait(false);
        Log.ReplicationPlanned(_logger, destination.Description, plan.Packs.Count, plan.Indexes.Count, plan.Snapshots.Count);
        var copier = new ObjectCopier(source, destination, options.MaxConcurrency, _logger);
        await CopyKeysAndConfigAsync(copier, destination, plan.Keys, configToCreate, ct).ConfigureAwait(false);

        var packs = await CopyPacksAsync(copier, plan.Packs, progress, ct).ConfigureAwait(false);
        var skipped = await SkipUnindexedDamagedPacksAsync(source, copier, options.SourceKey, ct).ConfigureAwait(false);
        IReadOnlyList<string> indexes = [];
        IReadOnlyList<string> snapshots = [];
        var failed = plan.Packs.Count - packs.Count - skipped.Count;
        if (failed == 0)
        {
            // Indexes only after all packs: an index naming a missing pack is an error to the checker.
            indexes = await copier.CopyAllAsync(plan.Indexes, null, ct).ConfigureAwait(false);
            failed = plan.Indexes.Count - indexes.Count;
        }

        if (failed == 0)
        {
            snapshots = await copier.CopyAllAsync(plan.Snapshots, null, ct).ConfigureAwait(false);
        }
        else if (plan.Snapshots.Count > 0)
        {
            Log.SnapshotsHeldBack(_logger, destination.Description, plan.Snapshots.Count, failed);
        }

        var report = BuildReport(plan, copier, packs.Count, indexes.Count, snapshots, clock.Elapsed) with { Skipped = skipped };
        Log.ReplicationFinished(_logger, destination.Description, report.PacksCopied, report.BytesCopied, report.IndexesCopied,
            report.SnapshotsCopied.Count, report.Errors.Count, clock.Elapsed.TotalSeconds);
        return report;
    }

    /// <summary>
    /// Ids of the snapshots visible on <paramref name="store"/>, sorted. Each one is complete there:
    /// the engine and the replicator both write a snapshot only after everything it references.
    /// Needs no key.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ListSnapshotIdsAsync(IObjectStore store, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var keys = await store.ListAllAsync(ObjectKeys.SnapshotsPrefix, ct).ConfigureAwait(false);
        return [.. keys.Select(o => ReplicationPlan.SnapshotId(o.Key)).Where(id => id.Length > 0 && !id.Contains('/', StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// A source pack whose bytes fail its SHA-256 holds back every snapshot, unless the key is at
    /// hand and no index of the source names it: packs are indexed only once durable, so such a
    /// pack is the leftover of an interrupted upload (a truncated fragment after a killed server),
    /// which no snapshot can use and which must not block every later copy (issue 19 item 5). When
    /// an index cannot be read it might name the pack, so nothing is skipped then.
    /// </summary>
    private async Task<IReadOnlyList<string>> SkipUnindexedDamagedPacksAsync(
        IObjectStore source, ObjectCopier copier, Security.RepositoryKey? key, CancellationToken ct)
    {
        var damaged = copier.MismatchedKeys.Where(k => k.StartsWith(ObjectKeys.DataPrefix, StringComparison.Ordinal)).ToList();
        if (damaged.Count == 0 || key is null)
        {
            return [];
        }

        HashSet<string> indexed;
        try
        {
            await using var repository = await BackupRepository.OpenAsync(source, key, ct).ConfigureAwait(false);
            if (repository.IndexErrors.Count > 0)
            {
                return [];
            }

            indexed = [.. repository.Index.Packs().Select(p => ObjectKeys.Pack(p.Id))];
        }
        catch (Exception ex) when (ex is RepositoryException or ObjectStoreException)
        {
            Log.UnindexedCheckFailed(_logger, source.Description, ex.Message);
            return [];
        }

        var leftovers = damaged.Where(k => !indexed.Contains(k)).ToHashSet(StringComparer.Ordinal);
        var lines = copier.Withdraw(leftovers);
        foreach (var line in lines)
        {
            Log.DamagedLeftoverSkipped(_logger, line);
        }

        return [.. lines.Select(l => $"{l} (no index names it: the leftover of an interrupted upload; skipped)").Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Returns the source's config bytes when the destination has no config yet (to be written
    /// after the keys), null when both hold the same repository; throws when they differ.
    /// </summary>
    private static async Task<byte[]?> CheckSameRepositoryAsync(IObjectStore source, IObjectStore destination, CancellationToken ct)
    {
        if (await source.StatAsync(ObjectKeys.Config, ct).ConfigureAwait(false) is null)
        {
            throw new ReplicationException($"{source.Description}: holds no repository (no config object); nothing to replicate");
        }

        var sourceConfig = await source.ReadAllBytesAsync(ObjectKeys.Config, null, ct).ConfigureAwait(false);
        if (await destination.StatAsync(ObjectKeys.Config, ct).ConfigureAwait(false) is null)
        {
            return sourceConfig;
        }

        // Byte equality is exact: the config is sealed once at init with a random nonce, so two
        // repositories never share config bytes and copies of one always do.
        var destinationConfig = await destination.ReadAllBytesAsync(ObjectKeys.Config, null, ct).ConfigureAwait(false);
        return sourceConfig.AsSpan().SequenceEqual(destinationConfig)
            ? null
            : throw new ReplicationException(
                $"{destination.Description}: holds a different repository (config differs from {source.Description}); refusing to mix repositories");
    }

    private async Task CopyKeysAndConfigAsync(
        ObjectCopier copier, IObjectStore destination, IReadOnlyList<ObjectInfo> keys, byte[]? configToCreate, CancellationToken ct)
    {
        var copied = await copier.CopyAllAsync(keys, null, ct).ConfigureAwait(false);
        if (configToCreate is null)
        {
            return; // a key added at the source and not copied is an error line, not fatal
        }

        // Keys first, config last, like init: a store with a config must also have the keys to open it.
        if (copied.Count != keys.Count)
        {
            throw new ReplicationException($"{destination.Description}: cannot create the replica repository: {copier.Errors[0]}");
        }

        try
        {
            using var content = new MemoryStream(configToCreate, writable: false);
            await destination.PutAsync(ObjectKeys.Config, content, ct).ConfigureAwait(false);
            copier.AddBytesCopied(configToCreate.Length);
        }
        catch (ObjectStoreException e)
        {
            throw new ReplicationException($"{destination.Description}: cannot create the replica repository: {e.Message}", e);
        }

        Log.RepositoryCreated(_logger, destination.Description);
    }

    private static async Task<IReadOnlyList<string>> CopyPacksAsync(
        ObjectCopier copier, IReadOnlyList<ObjectInfo> packs, IProgress<ReplicationProgress>? progress, CancellationToken ct)
    {
        var done = 0;
        long bytes = 0;
        var gate = new Lock();
        return await copier.CopyAllAsync(packs, (_, length) =>
        {
            // Under a lock so reports are monotonic even when copies finish concurrently.
            lock (gate)
            {
                done++;
                bytes += length;
                progress?.Report(new ReplicationProgress(done, packs.Count, bytes));
            }
        }, ct).ConfigureAwait(false);
    }

    private static ReplicationReport BuildReport(
        ReplicationPlan plan, ObjectCopier copier, int packs, int indexes, IReadOnlyList<string> snapshotKeys, TimeSpan elapsed)
    {
        var arrived = snapshotKeys.ToHashSet(StringComparer.Ordinal);
        return new ReplicationReport(
            packs,
            copier.BytesCopied,
            indexes,
            [.. snapshotKeys.Select(ReplicationPlan.SnapshotId).Order(StringComparer.Ordinal)],
            plan.SnapshotsPresent,
            copier.Errors,
            elapsed)
        {
            SnapshotsPending = [.. plan.Snapshots.Where(s => !arrived.Contains(s.Key)).Select(s => ReplicationPlan.SnapshotId(s.Key))],
        };
    }
}
