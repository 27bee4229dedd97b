namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>Configuration section <c>Sources:Postgres</c>.</summary>
public sealed class PostgresSourceOptions
{
    public const string Section = "Sources:Postgres";

    /// <summary>
    /// Where <c>pg_dump</c>, <c>pg_dumpall</c> and <c>psql</c> are taken from; null = the newest
    /// <c>/usr/lib/postgresql/N/bin</c>, then PATH (Debian's wrappers there pick a version by
    /// cluster, not by the server being dumped, so the versioned directory comes first).
    /// </summary>
    public string? ToolDirectory { get; set; }

    /// <summary>How long a connection attempt may take before the source fails.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A table whose heap is bigger than this many bytes is copied at backup in <c>parallel:</c>
    /// ctid ranges, one stream each (pgcopydb's <c>--split-tables-larger-than</c>;
    /// docs/decisions.md §65), on PostgreSQL 14 and later (TID range scans); 0 = never split.
    /// </summary>
    public long SplitTableBytes { get; set; } = 64L << 20;

    /// <summary>One message per problem, naming the field.</summary>
    public IEnumerable<string> Validate()
    {
        if (ToolDirectory is not null && !Path.IsPathFullyQualified(ToolDirectory))
        {
            yield return $"{Section}:ToolDirectory: '{ToolDirectory}' is not an absolute path";
        }

        if (ConnectTimeout <= TimeSpan.Zero || ConnectTimeout > TimeSpan.FromMinutes(10))
        {
            yield return $"{Section}:ConnectTimeout: {ConnectTimeout} is not between 0 and 10 minutes";
        }

        if (SplitTableBytes < 0)
        {
            yield return $"{Section}:SplitTableBytes: {SplitTableBytes} is negative (0 = never split a table)";
        }
    }
}
