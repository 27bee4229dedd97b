using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Orchestration.Backup;

namespace DrOrchestrator.Orchestration.Monitoring;

/// <summary>
/// Computes RPO and RTO per policy and target from the catalog: the snapshot timeline per target
/// (<see cref="CatalogStore.GetRecoveryPointsAsync"/>) gives exposure, compliance and breaches;
/// recorded drills give the achieved RTO and, with the newest snapshot's size, the predicted one.
/// </summary>
public sealed class ObjectivesService(CatalogStore catalog, TimeProvider time)
{
    /// <summary>The compliance windows; the longest is also the default history.</summary>
    public static readonly TimeSpan Day = TimeSpan.FromDays(1);
    public static readonly TimeSpan Week = TimeSpan.FromDays(7);
    public static readonly TimeSpan Month = TimeSpan.FromDays(30);

    /// <summary>A reporting period as policies write durations (<c>30d</c>, <c>12h</c>, <c>1d12h</c>); false unless positive.</summary>
    public static bool TryParsePeriod(string text, out TimeSpan period) =>
        PolicyDuration.TryParse(text, out period) && period > TimeSpan.Zero;

    /// <summary>
    /// The objectives now, with breaches, drills and exposure history since
    /// now − <paramref name="history"/> (default 30 d); only <paramref name="policyName"/> when given.
    /// </summary>
    public async Task<ObjectivesReport> GetAsync(TimeSpan? history, string? policyName, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var since = now - (history ?? Month);
        var policies = await catalog.ListPoliciesAsync(cancellationToken).ConfigureAwait(false);
        if (policyName is not null)
        {
            var named = policies.Where(p => p.Name == policyName).ToList();
            if (named.Count == 0)
            {
                throw new PolicyNotFoundException(policyName, [.. policies.Select(p => p.Name)]);
            }

            policies = named;
        }

        // Each kind of record read once for all the policies, not per policy: the service's watchdog
        // does this every minute, and per policy it was four catalog queries each — for 1,000
        // policies the largest CPU share of an idle service (decisions §60, §67).
        var drills = Lookup(await catalog.ListDrillsAsync(policyName, cancellationToken).ConfigureAwait(false), d => d.PolicyName);
        var restores = Lookup(await catalog.ListSucceededRestoresAsync(policyName, cancellationToken).ConfigureAwait(false), r => r.PolicyName);
        var snapshots = Lookup(await catalog.ListSnapshotsAsync(policyName, cancellationToken).ConfigureAwait(false), s => s.PolicyName);
        var points = await catalog.GetRecoveryPointsAsync(policyName, cancellationToken).ConfigureAwait(false);
        var result = policies.OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(stored => Policy(stored, drills[stored.Name].ToList(), restores[stored.Name].ToList(), snapshots[stored.Name].ToList(), points, now, since))
            .ToList();
        return new ObjectivesReport(now, since, result);
    }

    private static ILookup<string, T> Lookup<T>(IEnumerable<T> records, Func<T, string?> policy) =>
        records.Where(r => policy(r) is not null).ToLookup(r => policy(r)!, StringComparer.Ordinal);

    private static PolicyObjectives Policy(
        CatalogPolicy stored,
        IReadOnlyList<DrillRecord> drills,
        IReadOnlyList<CatalogRun> restores,
        IReadOnlyList<CatalogSnapshot> snapshots,
        IReadOnlyDictionary<(string Policy, string Target), IReadOnlyList<CompletedRecoveryPoint>> points,
        DateTimeOffset now,
        DateTimeOffset since)
    {
        var policy = stored.ToPolicy();
        var timelines = new Dictionary<string, IReadOnlyList<CompletedRecoveryPoint>>(StringComparer.Ordinal);
        foreach (var target in policy.Targets)
        {
            timelines[target.Name] = points.TryGetValue((stored.Name, target.Name), out var timeline) ? timeline : [];
        }

        var newestAnywhere = timelines.Values.Select(points => RpoCalculator.NewestRecoveryPoint(points, now)).Max();
        var rows = policy.Targets
            .Select(target => Target(stored, target, timelines[target.Name], drills, restores, snapshots, newestAnywhere, now, since))
            .ToList();
        return new PolicyObjectives(stored.Name, stored.Rpo, stored.Rto, rows, [.. drills.Where(d => d.StartedAt >= since)]);
    }

    private static TargetObjectives Target(
        CatalogPolicy policy,
        PolicyTarget target,
        IReadOnlyList<CompletedRecoveryPoint> points,
        IReadOnlyList<DrillRecord> drills,
        IReadOnlyList<CatalogRun> restores,
        IReadOnlyList<CatalogSnapshot> snapshots,
        DateTimeOffset? newestAnywhere,
        DateTimeOffset now,
        DateTimeOffset since)
    {
        var newest = RpoCalculator.NewestRecoveryPoint(points, now);
        // Time before the policy existed is neither compliant nor a breach: windows start at its creation.
        var start = Later(since, policy.CreatedAt);
        var targetDrills = drills.Where(d => d.TargetName == target.Name).ToList();
        var newestSnapshot = snapshots.FirstOrDefault(s => s.Presence.Any(p => p.TargetName == target.Name && p.Status == PresenceStatus.Present));
        var throughput = targetDrills
            .Where(d => d.Outcome != DrillOutcome.Failed)
            .Select(d => new ThroughputSample(d.BytesRestored, d.RtoAchieved, d.StartedAt))
            // Real restores from this target teach the prediction as much as drills do (§57).
            .Concat(restores.Where(r => r.TargetName == target.Name)
                .Select(r => new ThroughputSample(r.Figures.BytesRead, r.FinishedAt!.Value - r.StartedAt, r.StartedAt)));
        var recentDrills = targetDrills.Where(d => d.StartedAt >= now - Month).ToList();
        return new TargetObjectives(
            policy.Name,
            target.Name,
            target.Role,
            policy.Rpo,
            newest,
            newest is null ? null : now - newest.Value,
            new ComplianceFigures(
                Compliance(points, policy, now, Later(now - Day, policy.CreatedAt)),
                Compliance(points, policy, now, Later(now - Week, policy.CreatedAt)),
                Compliance(points, policy, now, Later(now - Month, policy.CreatedAt))),
            start < now ? RpoCalculator.Breaches(points, policy.Rpo, start, now) : [],
            // The chart shows the whole week, from before the policy existed too: its snapshots may well be older.
            RpoCalculator.ExposureProfile(points, now - Week, now),
            policy.Rto,
            targetDrills.FirstOrDefault(),
            recentDrills.Count == 0 ? null : recentDrills.Max(d => d.RtoAchieved),
            newestSnapshot is null ? null : RtoPredictor.Predict(newestSnapshot.Figures.TotalBytes, throughput),
            newestSnapshot?.Figures.TotalBytes,
            newestAnywhere is { } anywhere && newest is { } here ? anywhere - here : null);
    }

    /// <summary>Compliance over [from, now); a window of no length (a policy applied this instant) is judged by the exposure now.</summary>
    private static double Compliance(IReadOnlyList<CompletedRecoveryPoint> points, CatalogPolicy policy, DateTimeOffset now, DateTimeOffset from)
    {
        if (now - from < TimeSpan.FromSeconds(1))
        {
            return RpoCalculator.CurrentExposure(points, now) is { } exposure && exposure <= policy.Rpo ? 1 : 0;
        }

        return RpoCalculator.Compliance(points, policy.Rpo, from, now);
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
