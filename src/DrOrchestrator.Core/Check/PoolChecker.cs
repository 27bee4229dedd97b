using System.Runtime.CompilerServices;
using DrOrchestrator.Core.Storage.Composite;

namespace DrOrchestrator.Core.Check;

/// <summary>
/// The pool's own promises, which a check of the repository through the pool cannot see (the
/// pool's listing is the union of its members, and a read falls over to any copy): every pack on
/// R distinct members, metadata on every member. Lists every member once (the same inventory a
/// rebalance takes) and reports, per member, what it lacks — so a member that lost its data
/// shows by name (issue 19 item 8). `pool rebalance` (alias `pool repair`) restores both.
/// </summary>
public static class PoolChecker
{
    /// <summary>Up to this many example keys are named in a finding; the count says how many there are.</summary>
    private const int ExampleKeys = 3;

    /// <summary>
    /// Findings: an error per member that cannot be listed, an error per member lacking packs
    /// placed on it that now have fewer than R copies, a warning per member lacking metadata
    /// (config, keys, indexes, snapshots) that another member holds. None when the pool is whole.
    /// </summary>
    public static async IAsyncEnumerable<CheckFinding> CheckAsync(PoolObjectStore pool, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var run = new RebalanceRun(pool, pool.Membership);
        await run.InventoryAsync(cancellationToken).ConfigureAwait(false);
        foreach (var error in run.Errors)
        {
            yield return Error($"pool {pool.Name}: a member cannot be listed, its copies are unknown: {error}");
        }

        var members = pool.Membership.Members;
        var replication = pool.Membership.ReplicationFactor;
        var repair = $"`drorch pool repair {pool.Name}` copies them back";
        var belowR = run.Packs
            .Where(p => p.Value.Where(h => pool.Membership.Find(h.Name) == h).Distinct().Count() < replication)
            .Select(p => p.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (var member in members.Where(run.Listed))
        {
            var lacking = belowR.Where(k => pool.Membership.PlacementOf(k).Contains(member) && !run.Packs[k].Contains(member)).ToList();
            if (lacking.Count > 0)
            {
                yield return Error(
                    $"pool {pool.Name}: member {member.Name} lacks {Count(lacking.Count, "pack")} placed on it, now below {replication} copies ({Examples(lacking)}); {repair}");
            }
        }

        foreach (var member in members.Where(run.Listed))
        {
            var lacking = run.Metadata.Where(m => !m.Value.Contains(member)).Select(m => m.Key).Order(StringComparer.Ordinal).ToList();
            if (lacking.Count > 0)
            {
                yield return new CheckFinding(CheckSeverity.Warning, null,
                    $"pool {pool.Name}: member {member.Name} lacks {Count(lacking.Count, "metadata object")} the other members hold ({Examples(lacking)}); {repair}", []);
            }
        }
    }

    private static CheckFinding Error(string message) => new(CheckSeverity.Error, null, message, []);

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private static string Examples(List<string> keys) =>
        string.Join(", ", keys.Take(ExampleKeys)) + (keys.Count > ExampleKeys ? ", …" : "");
}
