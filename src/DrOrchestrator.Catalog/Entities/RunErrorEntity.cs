namespace DrOrchestrator.Catalog.Entities;

/// <summary>
/// One per-item error of a run (a file that could not be read, a checksum mismatch). A table
/// rather than a JSON column: both providers query it the same way.
/// </summary>
public sealed class RunErrorEntity
{
    public long Id { get; set; }

    public long RunId { get; set; }

    public string? Path { get; set; }

    public required string Message { get; set; }
}
