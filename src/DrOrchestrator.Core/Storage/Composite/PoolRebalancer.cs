using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>
/// Brings a pool's members in line with its (new) membership after members were added, removed or
/// re-weighted: every pack ends up on exactly its R placement members, and new members receive the
/// metadata. Nothing else moves.
/// </summary>
/// <remarks>
/// <para>Order of work, chosen so that an interrupted run never loses a copy: (1) list every
/// member, old and new; (2) for each pack, copy it to the placement members that lack it — read
/// from a current holder into a temp file, verified against the SHA-256 its key names, then put and
/// size-checked on the target (a corrupt copy met on a placement member is overwritten with the
/// good one); (3) only when every placement member holds the pack, delete copies
/// on members no longer in its placement; (4) copy metadata to new members, snapshots in a last wave, so a
/// snapshot appears on a member only after the indexes it needs.</para>
/// <para>Not done: members that left the pool (in <c>oldMembership</c> only) are read from but
/// never written or emptied — decommission them after a clean report. A member whose listing
/// failed is neither copied to nor deleted from; its packs are not trusted as placement copies.
/// Existing copies are trusted by their listing, not re-hashed (that is <c>check --read-data</c>'s
/// job). Rerunning is safe and copies only what is still missing.</para>
/// </remarks>
public sealed class PoolRebalancer
{
    private readonly ILogger _logger;

    public PoolRebalancer(ILogger<PoolRebalancer>? logger = null) => _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>Packs processed at once. Default 4.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <param name="pool">The pool with its new membership.</param>
    /// <param name="oldMembership">
    /// The membership before the change: its members that left are read as sources, and metadata
    /// goes only to members not in it. Null when unknown: metadata is then copied to every member
    /// lacking it (which can resurrect metadata deleted while a member was unreachable).
    /// </param>
    /// <param name="cancellationToken">Stops between objects; completed copies stay.</param>
    public async Task<RebalanceReport> RebalanceAsync(PoolObjectStore pool, PoolMembership? oldMembership, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var run = new RebalanceRun(pool, oldMembership);
        await run.InventoryAsync(cancellationToken).ConfigureAwait(false);

        await Parallel.ForEachAsync(
            run.Packs,
            new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrency, CancellationToken = cancellationToken },
            (pack, ct) => new ValueTask(RebalancePackAsync(run, pack.Key, pack.Value, ct))).ConfigureAwait(false);

        var metadataCopied = await CopyMetadataAsync(run, cancellationToken).ConfigureAwait(false);
        var report = run.Report(metadataCopied);
        foreach (var error in report.Errors)
        {
            Log.RebalanceError(_logger, pool.Description, error);
        }

        Log.RebalanceDone(_logger, pool.Description, report.PacksExamined, report.CopiesMade, report.BytesCopied,
            report.CopiesDeleted, report.MetadataCopied, report.Errors.Count);
        return report;
    }

    private async Task RebalancePackAsync(RebalanceRun run, string key, List<PoolMember> holders, CancellationToken cancellationToken)
    {
        var placement = run.Pool.Membership.PlacementOf(key);
        var missing = placement.Where(m => !holders.Contains(m) && run.Listed(m)).ToList();
        var held = placement.Count(holders.Contains);
        if (missing.Count > 0)
        {
            held += await CopyPackAsync(run, key, holders, placement, missing, cancellationToken).ConfigureAwait(false);
        }

        // Delete surplus copies only once all R placement copies are known good: never below R.
        if (held < placement.Count)
        {
            return;
        }

        foreach (var surplus in holders.Where(h => !placement.Contains(h) && run.Pool.Membership.Find(h.Name) == h))
        {
            try
            {
                await surplus.Store.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
                run.Removals.Add(new PackRemoval(key, surplus.Name));
            }
            catch (Exception ex) when (ex is ObjectStoreException or IOException)
            {
                run.Errors.Enqueue(StoreFanOut.Describe(surplus.Store.Description, ex));
            }
        }
    }

    /// <summary>
    /// Copies the pack from the first holder with a good copy to each missing member, and over any
    /// corrupt copy met on a placement member on the way. Returns the change in good placement copies.
    /// </summary>
    private async Task<int> CopyPackAsync(
        RebalanceRun run, string key, List<PoolMember> holders, IReadOnlyList<PoolMember> placement, List<PoolMember> missing,
        CancellationToken cancellationToken)
    {
        var corrupt = new List<PoolMember>();
        foreach (var holder in holders)
        {
            VerifiedDownload download;
            try
            {
                // Keys that do not name their hash (not written by the engine) are copied unverified.
                var expected = RepositoryKeys.TryGetPackHash(key, out var hash) ? hash : null;
                download = await TempSpool.DownloadAsync(holder.Store, key, expected, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectStoreException or IOException)
            {
                run.Errors.Enqueue(StoreFanOut.Describe(holder.Store.Description, ex));
                continue;
            }

            if (download.Content is null)
            {
                run.Errors.Enqueue($"{holder.Store.Description}: {key}: {download.Mismatch}");
                if (placement.Contains(holder))
                {
                    corrupt.Add(holder);
                }

                continue;
            }

            await using (download.Content.ConfigureAwait(false))
            {
                var landed = 0;
                foreach (var target in missing.Concat(corrupt))
                {
                    download.Content.Position = 0;
                    if (await PutCheckedAsync(run, key, download, target, cancellationToken).ConfigureAwait(false))
                    {
                        run.Copies.Add(new PackCopy(key, holder.Name, target.Name, download.Length));
                        Log.RebalanceCopied(_logger, run.Pool.Description, key, download.Length, holder.Name, target.Name);
                        landed++;
                    }
                }

                return landed - corrupt.Count;
            }
        }

        run.Errors.Enqueue($"{run.Pool.Description}: {key}: no good copy to read from on {string.Join(", ", holders.Select(h => h.Name))}");
        return -corrupt.Count;
    }

    private static async Task<bool> PutCheckedAsync(RebalanceRun run, string key, VerifiedDownload download, PoolMember target, CancellationToken cancellationToken)
    {
        try
        {
            await target.Store.PutAsync(key, download.Content!, cancellationToken).ConfigureAwait(false);
            var stored = await target.Store.StatAsync(key, cancellationToken).ConfigureAwait(false);
            if (stored?.Size == download.Length)
            {
                return true;
            }

            run.Errors.Enqueue($"{target.Store.Description}: {key}: stored size {stored?.Size.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} after copying {download.Length} bytes");
        }
        catch (Exception ex) when (ex is ObjectStoreException or IOException)
        {
            run.Errors.Enqueue(StoreFanOut.Describe(target.Store.Description, ex));
        }

        return false;
    }

    private async Task<int> CopyMetadataAsync(RebalanceRun run, CancellationToken cancellationToken)
    {
        var targets = run.Pool.Membership.Members.Where(m => run.Listed(m) && run.IsNew(m)).ToList();
        var copies = run.Metadata
            .SelectMany(m => targets.Where(t => !m.Value.Contains(t)).Select(t => (m.Key, Holders: m.Value, Target: t)))
            .ToList();
        var copied = 0;

        // Two waves: snapshots only after everything they refer to (config, keys, indexes) is there.
        foreach (var wave in copies.GroupBy(c => c.Key.StartsWith("snapshots/", StringComparison.Ordinal)).OrderBy(g => g.Key))
        {
            await Parallel.ForEachAsync(
                wave,
                new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrency, CancellationToken = cancellationToken },
                async (copy, ct) =>
                {
                    if (await CopyMetadataObjectAsync(run, copy.Key, copy.Holders, copy.Target, ct).ConfigureAwait(false))
                    {
                        Interlocked.Increment(ref copied);
                    }
                }).ConfigureAwait(false);
        }

        return copied;
    }

    private static async Task<bool> CopyMetadataObjectAsync(
        RebalanceRun run, string key, List<PoolMember> holders, PoolMember target, CancellationToken cancellationToken)
    {
        foreach (var holder in holders)
        {
            Stream content;
            try
            {
                content = await holder.Store.GetAsync(key, range: null, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectStoreException or IOException)
            {
                run.Errors.Enqueue(StoreFanOut.Describe(holder.Store.Description, ex));
                continue;
            }

            await using (content.ConfigureAwait(false))
            {
                try
                {
                    await target.Store.PutAsync(key, content, cancellationToken).ConfigureAwait(false);
                    return true;
                }
                catch (Exception ex) when (ex is ObjectStoreException or IOException)
                {
                    // The target is the likely culprit; the next run retries it.
                    run.Errors.Enqueue(StoreFanOut.Describe(target.Store.Description, ex));
                    return false;
                }
            }
        }

        return false;
    }
}
