namespace DrOrchestrator.Catalog.Configuration;

/// <summary>Which database engine holds the catalog.</summary>
public enum CatalogProvider
{
    /// <summary>Single node: one SQLite file (default).</summary>
    Sqlite,

    /// <summary>Cluster: several nodes share one PostgreSQL database.</summary>
    Postgres,
}

/// <summary>
/// Configuration section <c>Catalog</c>. The PostgreSQL password never appears in the
/// connection string: it is read from the environment variable named by
/// <see cref="PasswordEnvironmentVariable"/>.
/// </summary>
public sealed class CatalogOptions
{
    public const string SectionName = "Catalog";

    /// <summary>Connection string used when <see cref="ConnectionString"/> is empty and the provider is SQLite.</summary>
    public const string DefaultSqliteConnectionString = "Data Source=drorch-catalog.db";

    public CatalogProvider Provider { get; set; } = CatalogProvider.Sqlite;

    /// <summary>Provider connection string, without any password.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Name of the environment variable holding the PostgreSQL password.</summary>
    public string? PasswordEnvironmentVariable { get; set; }

    /// <summary>How long an SQLite command waits for a lock held by another process (CLI and server share the file).</summary>
    public int BusyTimeoutSeconds { get; set; } = 30;
}
