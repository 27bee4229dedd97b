using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>
/// Writes one backup session to several primary targets at once: every put (and delete) goes to
/// every healthy member in parallel, reading the source once per member without buffering it in
/// memory.
/// </summary>
/// <remarks>
/// <para>A write succeeds when at least <see cref="MinimumSuccessful"/> members took it. A member
/// that fails any write is <em>degraded</em> for the rest of the session and receives no further
/// writes — so it can never receive a snapshot whose packs it lacks (a snapshot is written last,
/// after its packs and indexes). One mirror instance = one session: create a new one per backup
/// run to give a degraded member another chance.</para>
/// <para>When fewer than <see cref="MinimumSuccessful"/> members are left, writes throw an
/// <see cref="ObjectStoreException"/> naming each failed member and its error.</para>
/// <para>Reads go to the first healthy member, falling over to the next healthy one on errors
/// other than not-found.</para>
/// </remarks>
public sealed class MirrorObjectStore : IObjectStore
{
    private readonly IObjectStore[] _members;
    private readonly ConcurrentDictionary<IObjectStore, ObjectStoreException> _degraded = new(ReferenceEqualityComparer.Instance);
    private readonly ILogger _logger;

    /// <param name="members">The primary targets, in read preference order; descriptions must be unique.</param>
    /// <param name="minimumSuccessful">How many members must take every write (1 ≤ min ≤ member count).</param>
    /// <param name="logger">Logs each member that becomes degraded.</param>
    public MirrorObjectStore(IEnumerable<IObjectStore> members, int minimumSuccessful, ILogger<MirrorObjectStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(members);
        _members = [.. members];
        if (_members.Length == 0 || _members.Any(m => m is null))
        {
            throw new ArgumentException("a mirror needs at least one member and no null members", nameof(members));
        }

        if (_members.Select(m => m.Description).Distinct(StringComparer.Ordinal).Count() != _members.Length)
        {
            throw new ArgumentException($"mirror members must have distinct descriptions: {string.Join(", ", _members.Select(m => m.Description))}", nameof(members));
        }

        if (minimumSuccessful < 1 || minimumSuccessful > _members.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(minimumSuccessful), minimumSuccessful,
                $"mirror minimum successful members {minimumSuccessful} must be between 1 and the member count {_members.Length}");
        }

        MinimumSuccessful = minimumSuccessful;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        Description = $"mirror[{string.Join(',', _members.Select(m => m.Description))}]";
        Capabilities = new ObjectStoreCapabilities(
            _members.Select(m => m.Capabilities.MaxObjectSize).Where(s => s is not null).DefaultIfEmpty(null).Min(),
            _members.Min(m => m.Capabilities.RecommendedConcurrency),
            _members.All(m => m.Capabilities.IsLocal));
    }

    public string Description { get; }

    public ObjectStoreCapabilities Capabilities { get; }

    public int MinimumSuccessful { get; }

    public IReadOnlyList<IObjectStore> Members => _members;

    /// <summary>
    /// Members excluded from further writes, keyed by their <see cref="IObjectStore.Description"/>,
    /// each with the first error it gave (whose message starts with that description).
    /// </summary>
    public IReadOnlyDictionary<string, ObjectStoreException> DegradedMembers =>
        _members.Where(_degraded.ContainsKey).ToDictionary(m => m.Description, m => _degraded[m], StringComparer.Ordinal);

    /// <summary>Members still receiving writes, in configured order.</summary>
    public IReadOnlyList<IObjectStore> HealthyMembers => [.. _members.Where(m => !_degraded.ContainsKey(m))];

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var targets = WritableMembersOrThrow(key);
        var source = await StreamFanOut.PrepareAsync(content, targets.Count, cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            var failures = await StoreFanOut.RunAsync(
                targets,
                member => source.ReadWithAsync(reader => member.PutAsync(key, reader, cancellationToken)),
                cancellationToken).ConfigureAwait(false);
            if (targets.Count - failures.Count < MinimumSuccessful && RepositoryKeys.IsSnapshot(key))
            {
                // The run failed on the policy's terms (minPrimaries): no member may show its snapshot.
                await StoreFanOut.WithdrawSnapshotAsync(key, targets.Where(t => !failures.Any(f => ReferenceEquals(f.Target, t)))).ConfigureAwait(false);
            }

            Settle(key, "put", targets.Count, failures);
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var targets = WritableMembersOrThrow(key);
        var failures = await StoreFanOut.RunAsync(
            targets, member => member.DeleteAsync(key, cancellationToken), cancellationToken).ConfigureAwait(false);
        Settle(key, "delete", targets.Count, failures);
    }

    public Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken) =>
        ReadAsync(key, member => member.GetAsync(key, range, cancellationToken));

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken) =>
        ReadAsync(key, member => member.StatAsync(key, cancellationToken));

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        var reader = HealthyMembers.FirstOrDefault() ?? throw NoneLeft(null);
        return reader.ListAsync(prefix, cancellationToken);
    }

    private async Task<T> ReadAsync<T>(string key, Func<IObjectStore, Task<T>> read)
    {
        ObjectStoreException? last = null;
        foreach (var member in HealthyMembers)
        {
            try
            {
                return await read(member).ConfigureAwait(false);
            }
            catch (ObjectStoreException ex) when (ex is not ObjectNotFoundException)
            {
                last = ex;
            }
        }

        throw last ?? NoneLeft(key);
    }

    private List<IObjectStore> WritableMembersOrThrow(string key)
    {
        var healthy = HealthyMembers;
        return healthy.Count >= MinimumSuccessful ? [.. healthy] : throw NoneLeft(key);
    }

    private void Settle(string key, string operation, int attempted, IReadOnlyList<StoreFailure<IObjectStore>> failures)
    {
        foreach (var failure in failures)
        {
            var error = failure.Error as ObjectStoreException is { } ose && ose.Store == failure.Target.Description
                ? ose
                : new ObjectStoreException(failure.Target.Description, key, failure.Error.Message,
                    StoreFanOut.AllTransient([failure.Error]), failure.Error);
            if (_degraded.TryAdd(failure.Target, error))
            {
                Log.MirrorMemberDegraded(_logger, Description, failure.Target.Description, error.Message);
            }
        }

        if (attempted - failures.Count < MinimumSuccessful)
        {
            var reasons = failures.Select(f => StoreFanOut.Describe(f.Target.Description, f.Error));
            throw new ObjectStoreException(Description, key,
                $"{operation} reached {attempted - failures.Count} of the {MinimumSuccessful} members required: {string.Join("; ", reasons)}",
                StoreFanOut.AllTransient(failures.Select(f => f.Error)),
                failures.Count > 0 ? failures[0].Error : null);
        }
    }

    private ObjectStoreException NoneLeft(string? key)
    {
        var degraded = _members.Where(_degraded.ContainsKey).Select(m => _degraded[m].Message);
        return new ObjectStoreException(Description, key,
            $"only {_members.Length - _degraded.Count} healthy members left, {MinimumSuccessful} required; degraded: {string.Join("; ", degraded)}",
            isTransient: false);
    }
}
