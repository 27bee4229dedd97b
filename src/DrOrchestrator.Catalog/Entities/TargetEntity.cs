namespace DrOrchestrator.Catalog.Entities;

/// <summary>A configured target, by name. Never holds credentials: those stay in configuration/secrets.</summary>
public sealed class TargetEntity
{
    public long Id { get; set; }

    public required string Name { get; set; }

    /// <summary>Backend kind, e.g. local, s3, azureblob, pool.</summary>
    public required string Type { get; set; }

    public string? Description { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
