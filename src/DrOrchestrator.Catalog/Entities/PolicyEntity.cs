namespace DrOrchestrator.Catalog.Entities;

/// <summary>An applied policy: its canonical YAML (the source of truth) plus columns queries filter by.</summary>
public sealed class PolicyEntity
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    /// <summary>Canonical YAML from <c>PolicySerializer</c>.</summary>
    public required string Yaml { get; set; }

    /// <summary>Lower-case hex SHA-256 of <see cref="Yaml"/> (UTF-8), to tell whether an apply changed anything.</summary>
    public required string YamlSha256 { get; set; }

    public long RpoSeconds { get; set; }

    public long RtoSeconds { get; set; }

    public int MinPrimaries { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset AppliedAt { get; set; }

    /// <summary>Set when the policy was deleted: it is no longer listed nor scheduled, but its runs and snapshots keep pointing at it.</summary>
    public DateTimeOffset? DeletedAt { get; set; }
}
