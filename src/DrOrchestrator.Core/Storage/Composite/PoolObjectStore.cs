using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>
/// A pool target: packs (<c>data/</c> keys) are spread over the members by consistent hashing,
/// each on <see cref="PoolMembership.ReplicationFactor"/> distinct members; every other key
/// (config, keys, indexes, snapshots) is metadata and is written to every member, so any single
/// member can list and decrypt the repository's snapshots.
/// </summary>
/// <remarks>
/// Guarantees: a put returns only when every member that must hold the key has it (otherwise it
/// throws, naming each failed member — a pack is never silently under-replicated). Gets try the
/// placement members in ring order, then every other member (a copy may sit off-placement until a
/// rebalance finishes), and fail over on any store error. Lists are the union of the members,
/// deduplicated by key, tolerating fewer than R failed members (every pack still has a reachable
/// copy). Deletes go to every member. Not guaranteed: content verification — wrap the pool in a
/// <see cref="FallbackObjectStore"/> or run a check for that.
/// </remarks>
public sealed class PoolObjectStore : IObjectStore
{
    private readonly ILogger _logger;

    public PoolObjectStore(string name, PoolMembership membership, ILogger<PoolObjectStore>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(membership);
        Name = name;
        Membership = membership;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        // Messages name the pool as configured, like any target (issue 19 item 9).
        Description = name;
        Location = $"pool:{name}[{string.Join(',', membership.Members.Select(m => m.Name))}]";
        var caps = membership.Members.Select(m => m.Store.Capabilities).ToArray();
        Capabilities = new ObjectStoreCapabilities(
            caps.Select(c => c.MaxObjectSize).Where(s => s is not null).DefaultIfEmpty(null).Min(),
            caps.Min(c => c.RecommendedConcurrency),
            caps.All(c => c.IsLocal));
    }

    public PoolObjectStore(string name, IEnumerable<PoolMember> members, int replicationFactor, ILogger<PoolObjectStore>? logger = null)
        : this(name, new PoolMembership(members, replicationFactor), logger)
    {
    }

    public string Name { get; }

    public PoolMembership Membership { get; }

    public string Description { get; }

    public string Location { get; }

    public ObjectStoreCapabilities Capabilities { get; }

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var targets = Membership.PlacementOf(key);
        var source = await StreamFanOut.PrepareAsync(content, targets.Count, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<StoreFailure<PoolMember>> failures;
        await using (source.ConfigureAwait(false))
        {
            failures = await StoreFanOut.RunAsync(
                targets,
                member => source.ReadWithAsync(reader => member.Store.PutAsync(key, reader, cancellationToken)),
                cancellationToken).ConfigureAwait(false);
        }

        if (failures.Count > 0 && RepositoryKeys.IsSnapshot(key))
        {
            // A snapshot must be on every member or on none: a run that could not write it
            // everywhere failed, and no member may show it.
            await StoreFanOut.WithdrawSnapshotAsync(key, targets.Where(t => !failures.Any(f => f.Target == t)).Select(t => t.Store)).ConfigureAwait(false);
        }

        ThrowIfAnyFailed(key, "put", targets.Count, failures);
    }

    public async Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        var failures = new List<Exception>();
        foreach (var member in Membership.ReadOrder(key))
        {
            try
            {
                return await member.Store.GetAsync(key, range, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectStoreException ex)
            {
                failures.Add(ex);
                if (ex is not ObjectNotFoundException)
                {
                    Log.PoolMemberReadFailed(_logger, Description, key, member.Name, ex.Message);
                }
            }
        }

        throw NoCopy(key, failures);
    }

    public async Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var failures = new List<Exception>();
        foreach (var member in Membership.ReadOrder(key))
        {
            try
            {
                var info = await member.Store.StatAsync(key, cancellationToken).ConfigureAwait(false);
                if (info is not null)
                {
                    return info;
                }
            }
            catch (ObjectStoreException ex)
            {
                failures.Add(ex);
                Log.PoolMemberReadFailed(_logger, Description, key, member.Name, ex.Message);
            }
        }

        // Absent everywhere we could ask; if some member could not answer the object may be there.
        return failures.Count == 0 ? null : throw NoCopy(key, failures);
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var failures = new List<Exception>();
        foreach (var member in Membership.Members)
        {
            void Failed(ObjectStoreException ex)
            {
                failures.Add(ex);
                Log.PoolListFailed(_logger, Description, prefix, member.Name, ex.Message);
            }

            await foreach (var item in StoreFanOut.ListUntilFailureAsync(member.Store, prefix, Failed, cancellationToken).ConfigureAwait(false))
            {
                if (seen.Add(item.Key))
                {
                    yield return item;
                }
            }
        }

        // Every pack has R copies on distinct members and metadata is everywhere, so the union is
        // complete as long as fewer than R members (N for metadata-only prefixes) failed.
        var tolerated = CanContainPacks(prefix) ? Membership.ReplicationFactor - 1 : Membership.Members.Count - 1;
        if (failures.Count > tolerated)
        {
            throw new ObjectStoreException(Description, null,
                $"listing '{prefix}' is incomplete: {string.Join("; ", failures.Select(f => f.Message))}",
                StoreFanOut.AllTransient(failures));
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        // Every member, not just the placement: after a membership change stray copies may exist anywhere.
        var members = Membership.Members;
        var failures = await StoreFanOut.RunAsync(
            members, member => member.Store.DeleteAsync(key, cancellationToken), cancellationToken).ConfigureAwait(false);
        ThrowIfAnyFailed(key, "delete", members.Count, failures);
    }

    private static bool CanContainPacks(string prefix) =>
        prefix.Length < RepositoryKeys.PackPrefix.Length
            ? RepositoryKeys.PackPrefix.StartsWith(prefix, StringComparison.Ordinal)
            : RepositoryKeys.IsPack(prefix);

    private ObjectStoreException NoCopy(string key, List<Exception> failures)
    {
        if (failures.All(f => f is ObjectNotFoundException))
        {
            return new ObjectNotFoundException(Description, key);
        }

        var reasons = failures.Where(f => f is not ObjectNotFoundException).Select(f => f.Message);
        return new ObjectStoreException(Description, key,
            $"no member could serve it: {string.Join("; ", reasons)}",
            StoreFanOut.AllTransient(failures.Where(f => f is not ObjectNotFoundException)));
    }

    private void ThrowIfAnyFailed(string key, string operation, int attempted, IReadOnlyList<StoreFailure<PoolMember>> failures)
    {
        if (failures.Count == 0)
        {
            return;
        }

        var reasons = failures.Select(f => StoreFanOut.Describe(f.Target.Store.Description, f.Error));
        throw new ObjectStoreException(Description, key,
            $"{operation} failed on {failures.Count} of {attempted} members: {string.Join("; ", reasons)}",
            StoreFanOut.AllTransient(failures.Select(f => f.Error)),
            failures[0].Error);
    }
}
