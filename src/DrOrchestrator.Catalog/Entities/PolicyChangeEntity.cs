namespace DrOrchestrator.Catalog.Entities;

/// <summary>
/// One change of a policy (created, updated, deleted): when, by whom and the canonical YAML
/// before and after. Keyed by the policy's name, not its row, so the history outlives a delete.
/// </summary>
public sealed class PolicyChangeEntity
{
    public long Id { get; set; }

    public required string PolicyName { get; set; }

    public PolicyChangeKind Kind { get; set; }

    public DateTimeOffset ChangedAt { get; set; }

    /// <summary>API key name, or <c>cli</c>.</summary>
    public required string ChangedBy { get; set; }

    public string? YamlBefore { get; set; }

    public string? YamlAfter { get; set; }
}
