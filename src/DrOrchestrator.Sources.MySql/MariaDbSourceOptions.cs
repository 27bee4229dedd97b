namespace DrOrchestrator.Sources.MySql;

/// <summary>Configuration section <c>Sources:MariaDb</c>.</summary>
public sealed class MariaDbSourceOptions
{
    public const string Section = "Sources:MariaDb";

    /// <summary>Where <c>mariadb-dump</c>/<c>mariadb</c> (or <c>mysqldump</c>/<c>mysql</c>) are; null = PATH.</summary>
    public string? ToolDirectory { get; set; }

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
