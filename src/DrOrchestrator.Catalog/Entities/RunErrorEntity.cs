namespace DrOrchestrator.Catalog.Entities;

/// <summary>
/// One per-item issue of a run: an error (a file that could not be read, a checksum mismatch) or,
/// flagged <see cref="IsWarning"/>, a warning (a file changed while read, vanished, skipped). A
/// table rather than a JSON column: both providers query it the same way.
/// </summary>
public sealed class RunErrorEntity
{
    public long Id { get; set; }

    public long RunId { get; set; }

    public string? Path { get; set; }

    public required string Message { get; set; }

    /// <summary>A warning (counted in <see cref="RunEntity.WarningsCount"/>) rather than an error.</summary>
    public bool IsWarning { get; set; }
}
