using System.Collections.Concurrent;

namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>
/// The health book of a <see cref="FallbackObjectStore"/>: its configured sources, the members of
/// any pool among them (each copy of a pack is a separate candidate), and copies found corrupt.
/// </summary>
internal sealed class FallbackSources
{
    private const int MaxRememberedCorruptCopies = 100_000;

    private readonly SourceHealth[] _sources;
    private readonly ConcurrentDictionary<string, SourceHealth> _poolMembers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Store, string Key), byte> _corrupt = new();
    private readonly TimeProvider _time;

    public FallbackSources(IEnumerable<IObjectStore> sources, TimeProvider time)
    {
        _sources = [.. sources.Select((s, i) => new SourceHealth(s ?? throw new ArgumentException("a fallback source is null", nameof(sources)), i))];
        if (_sources.Length == 0)
        {
            throw new ArgumentException("a fallback view needs at least one source", nameof(sources));
        }

        var duplicate = _sources.GroupBy(s => s.Store.Description, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"fallback source '{duplicate.Key}' is listed twice", nameof(sources));
        }

        _time = time;
    }

    public TimeSpan FailurePenalty { get; set; } = TimeSpan.FromMinutes(5);

    public IReadOnlyList<SourceHealth> Configured => _sources;

    /// <summary>
    /// Configured sources healthiest first: fewer recent failures, then lower average latency
    /// (none yet counts as zero, so each source gets measured), then configured order.
    /// </summary>
    public IReadOnlyList<(SourceHealth Source, FallbackSourceStatus Status)> Rank()
    {
        var now = _time.GetUtcNow();
        return [.. _sources
            .Select(s => (Source: s, Status: s.Status(now, FailurePenalty)))
            .OrderBy(r => r.Status.RecentFailures)
            // A source that has answered well is preferred to one never tried: an untried copy is
            // a gamble, and in configured order the admin lists primaries before replicas.
            .ThenBy(r => r.Status.AverageLatency is null ? 1 : 0)
            .ThenBy(r => r.Status.AverageLatency ?? TimeSpan.Zero)
            .ThenBy(r => r.Source.Index)];
    }

    /// <summary>
    /// Where to read <paramref name="key"/> from, in order. A pool source is expanded into its
    /// members (placement first, members with recent failures after the others) so a corrupt copy
    /// on one member is replaced by the copy on the next. Copies known to be corrupt for this key
    /// come last — still tried in case every other copy is worse. Excluded descriptions (a source's
    /// or a pool member's) are skipped.
    /// </summary>
    public List<ReadCandidate> ReadOrder(string key, IReadOnlySet<string>? excluded)
    {
        var now = _time.GetUtcNow();
        var candidates = new List<ReadCandidate>();
        foreach (var (source, _) in Rank())
        {
            if (excluded?.Contains(source.Store.Description) == true)
            {
                continue;
            }

            if (source.Store is not PoolObjectStore pool)
            {
                candidates.Add(new ReadCandidate(source, source));
                continue;
            }

            candidates.AddRange(pool.Membership.ReadOrder(key)
                .Select((m, i) => (Health: _poolMembers.GetOrAdd(m.Store.Description, _ => new SourceHealth(m.Store, i)), Position: i))
                .Where(m => excluded?.Contains(m.Health.Store.Description) != true)
                .OrderBy(m => m.Health.Status(now, FailurePenalty).RecentFailures)
                .ThenBy(m => m.Position)
                .Select(m => new ReadCandidate(source, m.Health)));
        }

        return [.. candidates.OrderBy(c => _corrupt.ContainsKey((c.Copy.Store.Description, key)))];
    }

    /// <summary>A configured source or a member of a pool source, by description.</summary>
    public SourceHealth? Find(string description) =>
        _sources.FirstOrDefault(s => s.Store.Description == description)
        ?? _sources.Select(s => s.Store).OfType<PoolObjectStore>()
            .SelectMany(p => p.Membership.Members)
            .Where(m => m.Store.Description == description)
            .Select(m => _poolMembers.GetOrAdd(description, _ => new SourceHealth(m.Store, 0)))
            .FirstOrDefault();

    public void MarkCorrupt(SourceHealth copy, string key)
    {
        if (_corrupt.Count >= MaxRememberedCorruptCopies)
        {
            _corrupt.Clear();
        }

        _corrupt.TryAdd((copy.Store.Description, key), 0);
        copy.Failed(_time.GetUtcNow());
    }
}

/// <summary>One copy to try: the store holding it (<see cref="Copy"/>) and the configured source it belongs to.</summary>
internal readonly record struct ReadCandidate(SourceHealth Source, SourceHealth Copy);
