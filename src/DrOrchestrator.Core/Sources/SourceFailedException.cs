namespace DrOrchestrator.Core.Sources;

/// <summary>
/// A source could not be backed up or restored as a whole: its server refused or could not be
/// reached, its dump tool is missing or failed (the message carries the tool's stderr tail with
/// secrets scrubbed), or a restored database does not match its fingerprint. The message is one
/// line fit for the admin; it never holds a password.
/// </summary>
public class SourceFailedException : Exception
{
    public SourceFailedException(string message)
        : base(message)
    {
    }

    public SourceFailedException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public SourceFailedException()
    {
    }
}

/// <summary>A restored database differs from the fingerprint taken at backup; the message names the first differing table.</summary>
public sealed class FingerprintMismatchException : SourceFailedException
{
    public FingerprintMismatchException(string database, IReadOnlyList<TableDifference> differences)
        : base($"restored database {database} does not match its backup fingerprint: {string.Join("; ", differences)}")
    {
        ArgumentNullException.ThrowIfNull(differences);
        Tables = differences;
        Differences = [.. differences.Select(d => d.ToString())];
    }

    public FingerprintMismatchException()
    {
        Differences = [];
    }

    public FingerprintMismatchException(string message)
        : base(message)
    {
        Differences = [];
    }

    public FingerprintMismatchException(string message, Exception inner)
        : base(message, inner)
    {
        Differences = [];
    }

    /// <summary>One entry per differing table: "table t: 10 rows (hash …) at backup, 9 rows (hash …) restored".</summary>
    public IReadOnlyList<string> Differences { get; }

    /// <summary>The same differences with both fingerprints of each table (empty when built from a message only).</summary>
    public IReadOnlyList<TableDifference> Tables { get; } = [];
}
