using DrOrchestrator.Core.Replication;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Composite;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.Backup;

/// <summary>A primary target as the backup sees it: its store, and why it is out if it is.</summary>
public sealed record PrimaryTarget(string Name, IObjectStore Store, string? Unavailable);

/// <summary>
/// The primaries of one backup run, written in parallel through a <see cref="MirrorObjectStore"/>
/// so the source is read once. Before the run every reachable primary is brought up to the same
/// repository, so deduplication against the shared index never skips a pack a primary lacks and
/// never re-uploads one a primary holds: first the hub (the first primary holding a repository)
/// gathers what any other primary has and it lacks — a primary that caught a run the hub missed
/// while the hub was down — then every other primary receives what the hub has (docs/decisions.md §55).
/// </summary>
public sealed class PrimarySet
{
    private PrimarySet(IReadOnlyList<PrimaryTarget> targets, IObjectStore store, MirrorObjectStore? mirror)
    {
        Targets = targets;
        Store = store;
        Mirror = mirror;
    }

    public IReadOnlyList<PrimaryTarget> Targets { get; }

    /// <summary>The store the engine writes to: the single primary, or the mirror over several.</summary>
    public IObjectStore Store { get; }

    public MirrorObjectStore? Mirror { get; }

    /// <summary>Primaries that hold the complete snapshot after the run.</summary>
    public IEnumerable<PrimaryTarget> Complete =>
        Targets.Where(t => t.Unavailable is null && (Mirror is null || !Mirror.DegradedMembers.ContainsKey(t.Store.Description)));

    /// <summary>Primaries that were out from the start or dropped out during the run, with the reason.</summary>
    public IEnumerable<(string Name, string Reason)> Missing =>
        Targets.Where(t => t.Unavailable is not null).Select(t => (t.Name, t.Unavailable!))
            .Concat(Targets.Where(t => t.Unavailable is null && Mirror is not null && Mirror.DegradedMembers.ContainsKey(t.Store.Description))
                .Select(t => (t.Name, Mirror!.DegradedMembers[t.Store.Description].Message)));

    /// <param name="key">The repository key: lets a catch-up skip a damaged pack no index names (a leftover of a killed upload).</param>
    public static async Task<PrimarySet> PrepareAsync(
        IReadOnlyList<string> names, int minPrimaries, TargetRegistry targets, RepositoryReplicator replicator, RepositoryKey? key, ILogger logger,
        CancellationToken cancellationToken)
    {
        // All primaries are probed at once: an unreachable one spends its whole retry budget before
        // it is given up, and the others need not wait behind it (nor behind each other's round trips).
        var probed = await Task.WhenAll(names.Select(async name =>
        {
            var store = targets.Open(name);
            try
            {
                return (Name: name, Store: store, HasRepository: await BackupRepository.ExistsAsync(store, cancellationToken).ConfigureAwait(false), Error: (string?)null);
            }
            catch (ObjectStoreException ex)
            {
                return (Name: name, Store: store, HasRepository: false, Error: ex.Message);
            }
        })).ConfigureAwait(false);

        var hub = probed.FirstOrDefault(p => p.Error is null && p.HasRepository);
        if (hub.Store is not null)
        {
            // Gather: a failure here is only logged. The hub stays consistent (a copy writes a
            // snapshot after its objects) and every other primary receives the hub's objects
            // below, so the index read through the mirror (the first member's, which then holds
            // no more than the hub) never names a pack some member lacks.
            foreach (var other in probed.Where(p => p.Error is null && p.HasRepository && !ReferenceEquals(p.Store, hub.Store)))
            {
                if (await CatchUpAsync(replicator, other.Store, hub.Store, key, cancellationToken).ConfigureAwait(false) is { } problem)
                {
                    Log.TargetUnreadable(logger, other.Name, "(backup: gathering into " + hub.Name + ")", problem);
                }
            }
        }

        var result = new List<PrimaryTarget>();
        foreach (var (name, store, _, error) in probed)
        {
            var reason = error;
            if (reason is null && hub.Store is not null && !ReferenceEquals(hub.Store, store))
            {
                reason = await CatchUpAsync(replicator, hub.Store, store, key, cancellationToken).ConfigureAwait(false);
            }

            if (reason is not null)
            {
                Log.TargetUnreadable(logger, name, "(backup)", reason);
            }

            result.Add(new PrimaryTarget(name, store, reason));
        }

        var usable = result.Where(t => t.Unavailable is null).ToList();
        if (usable.Count < minPrimaries || usable.Count == 0)
        {
            throw new PrimaryTargetsUnavailableException(
                $"{usable.Count} of {names.Count} primary targets usable, policy needs {minPrimaries}: "
                + string.Join("; ", result.Where(t => t.Unavailable is not null).Select(t => TargetMessage.About(t.Name, t.Unavailable!))));
        }

        if (usable.Count == 1)
        {
            return new PrimarySet(result, usable[0].Store, null);
        }

        var mirror = new MirrorObjectStore(usable.Select(t => t.Store), minPrimaries);
        return new PrimarySet(result, mirror, mirror);
    }

    /// <summary>Copies what <paramref name="store"/> lacks from <paramref name="source"/>; returns the reason it stays out, or null.</summary>
    private static async Task<string?> CatchUpAsync(
        RepositoryReplicator replicator, IObjectStore source, IObjectStore store, RepositoryKey? key, CancellationToken cancellationToken)
    {
        try
        {
            var report = await replicator.ReplicateAsync(source, store, new ReplicationOptions { SourceKey = key }, null, cancellationToken).ConfigureAwait(false);
            return report.Errors.Count == 0 ? null : $"catch-up copy incomplete: {report.Errors[0]}";
        }
        catch (Exception ex) when (ex is ObjectStoreException or ReplicationException)
        {
            return ex.Message;
        }
    }
}

/// <summary>Fewer primaries are reachable than the policy's minPrimaries; names each one that is out.</summary>
public sealed class PrimaryTargetsUnavailableException : Exception
{
    public PrimaryTargetsUnavailableException(string message)
        : base(message)
    {
    }
}
