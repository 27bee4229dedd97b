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
    }
}
