using DrOrchestrator.Catalog;

namespace DrOrchestrator.Orchestration.Backup;

/// <summary>
/// The named policy is unknown: not applied to the catalog (or, for a restore without the
/// catalog, in no readable repository). Every command says it the same way, naming the known ones.
/// </summary>
public sealed class PolicyNotFoundException : Exception
{
    public PolicyNotFoundException(string name)
        : this(name, null)
    {
    }

    public PolicyNotFoundException(string name, IReadOnlyCollection<string>? known)
        : base(known is null
            ? $"unknown policy '{name}' (apply it first: drorch policy apply FILE)"
            : $"unknown policy '{name}' (known: {(known.Count == 0 ? "none" : string.Join(", ", known.Order(StringComparer.Ordinal)))})")
    {
        Name = name;
        Known = known ?? [];
    }

    public string Name { get; }

    public IReadOnlyCollection<string> Known { get; }

    /// <summary>The exception for <paramref name="name"/>, naming the policies the catalog holds.</summary>
    public static async Task<PolicyNotFoundException> FromCatalogAsync(CatalogStore catalog, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var policies = await catalog.ListPoliciesAsync(cancellationToken).ConfigureAwait(false);
        return new PolicyNotFoundException(name, [.. policies.Select(p => p.Name)]);
    }
}
