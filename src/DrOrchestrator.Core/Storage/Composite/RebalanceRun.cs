using System.Collections.Concurrent;

namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>The state of one rebalance: who holds what, and what was done so far.</summary>
internal sealed class RebalanceRun
{
    private readonly PoolMembership? _old;
    private readonly HashSet<string> _unlisted = new(StringComparer.Ordinal);

    public RebalanceRun(PoolObjectStore pool, PoolMembership? oldMembership)
    {
        Pool = pool;
        _old = oldMembership;

        // Current members first: they are the preferred sources, and members that left come last.
        Sources = [.. pool.Membership.Members,
            .. (oldMembership?.Members ?? []).Where(m => pool.Membership.Find(m.Name) is null)];
    }

    public PoolObjectStore Pool { get; }

    public IReadOnlyList<PoolMember> Sources { get; }

    public Dictionary<string, List<PoolMember>> Packs { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<PoolMember>> Metadata { get; } = new(StringComparer.Ordinal);

    public ConcurrentBag<PackCopy> Copies { get; } = [];

    public ConcurrentBag<PackRemoval> Removals { get; } = [];

    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>False when the member's listing failed: we do not know what it holds.</summary>
    public bool Listed(PoolMember member) => !_unlisted.Contains(member.Name);

    /// <summary>True when the member joined with this change (or the old membership is unknown).</summary>
    public bool IsNew(PoolMember member) => _old?.Find(member.Name) is null;

    /// <summary>Lists every source in parallel and records which member holds which key.</summary>
    public async Task InventoryAsync(CancellationToken cancellationToken)
    {
        var listings = new ConcurrentDictionary<string, List<ObjectInfo>>(StringComparer.Ordinal);
        var failures = await StoreFanOut.RunAsync(Sources, async member =>
        {
            var items = new List<ObjectInfo>();
            await foreach (var item in member.Store.ListAsync("", cancellationToken).ConfigureAwait(false))
            {
                items.Add(item);
            }

            listings[member.Name] = items;
        }, cancellationToken).ConfigureAwait(false);

        foreach (var failure in failures)
        {
            _unlisted.Add(failure.Target.Name);
            Errors.Enqueue(StoreFanOut.Describe(failure.Target.Store.Description, failure.Error));
        }

        foreach (var member in Sources.Where(m => listings.ContainsKey(m.Name)))
        {
            foreach (var item in listings[member.Name])
            {
                var index = RepositoryKeys.IsPack(item.Key) ? Packs : Metadata;
                if (!index.TryGetValue(item.Key, out var holders))
                {
                    index[item.Key] = holders = [];
                }

                holders.Add(member);
            }
        }
    }

    public RebalanceReport Report(int metadataCopied)
    {
        var copies = Copies.OrderBy(c => c.Key, StringComparer.Ordinal).ThenBy(c => c.To, StringComparer.Ordinal).ToArray();
        return new RebalanceReport(
            Packs.Count,
            copies.Select(c => c.Key).Distinct(StringComparer.Ordinal).Count(),
            copies.Sum(c => c.Bytes),
            copies,
            [.. Removals.OrderBy(r => r.Key, StringComparer.Ordinal).ThenBy(r => r.Member, StringComparer.Ordinal)],
            metadataCopied,
            [.. Errors]);
    }
}
