namespace DrOrchestrator.Server.Configuration;

/// <summary>Section <c>Server</c>: where the service listens, how it schedules and runs work, who may call it.</summary>
public sealed class ServerOptions
{
    public const string SectionName = "Server";

    /// <summary>Listen URLs; loopback only unless an admin opens it up (an API that can restore files must not be public by accident).</summary>
    public List<string> Urls { get; set; } = ["http://127.0.0.1:8080"];

    /// <summary>PFX certificate for https URLs; its password from the environment variable named here.</summary>
    public string? CertificateFile { get; set; }

    public string? CertificatePasswordEnvironmentVariable { get; set; }

    /// <summary>How often the catalog's policy version is polled, so an apply takes effect without a restart.</summary>
    public int PolicyPollSeconds { get; set; } = 2;

    /// <summary>A fire late by less than this runs once now; later ones are recorded as missed.</summary>
    public int MisfireGraceSeconds { get; set; } = 300;

    /// <summary>How often the RPO watchdog compares each policy's exposure with its RPO.</summary>
    public int RpoCheckSeconds { get; set; } = 60;

    /// <summary>
    /// Finished scheduled fires (done, missed) are kept this many days, then forgotten hourly
    /// (each trigger's newest stays): a per-minute cron adds 1,440 rows a day per policy, which the
    /// fire listing and the orchestrator's own backup would otherwise carry for ever.
    /// </summary>
    public int FireHistoryDays { get; set; } = 30;

    /// <summary>On SIGTERM, how long a running backup may go on before it is cancelled and re-queued.</summary>
    public int ShutdownGraceSeconds { get; set; } = 60;

    /// <summary>Hangfire worker threads (jobs running at once on this node).</summary>
    public int WorkerCount { get; set; } = 4;

    /// <summary>
    /// Where the schedule (Quartz) and the work queue (Hangfire) live: <c>InMemory</c> (single node) or
    /// <c>Postgres</c> (cluster: Quartz's clustered job store and Hangfire.PostgreSql in the catalog's
    /// database). <c>Auto</c> (default) takes <c>Postgres</c> when the catalog is PostgreSQL.
    /// </summary>
    public WorkStorage WorkStorage { get; set; } = WorkStorage.Auto;

    /// <summary>Cluster: how often a node records in the shared schedule that it is alive (a dead node's fires are recovered after about twice this).</summary>
    public int ClusterCheckinSeconds { get; set; } = 5;

    /// <summary>
    /// Cluster: a job whose node stopped renewing it for this long (the node died) is run again by
    /// another node. A live node renews its running jobs, so a long backup is never taken over.
    /// </summary>
    public int JobInvisibilityTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// After a scheduled backup that succeeded (or was degraded), run the policy's prune (its
    /// retention, then the lock-free reclaim of docs/decisions.md §32) as a job of its own. A policy
    /// without a retention block is never pruned. False: prune only on request (API, `drorch prune`).
    /// </summary>
    public bool PruneAfterBackup { get; set; } = true;

    /// <summary>
    /// At most one prune per policy in this many minutes (default 1440, a day: a prune reads every
    /// snapshot's trees, and the space it marks comes back only after Prune:GracePeriod anyway);
    /// 0 prunes after every scheduled backup.
    /// </summary>
    public int PruneIntervalMinutes { get; set; } = 1440;

    /// <summary>Directory under which API restores may write (relative to the configuration file).</summary>
    public string RestoreRoot { get; set; } = "restores";

    public List<ApiKeyOptions> ApiKeys { get; set; } = [];
}

public enum WorkStorage
{
    /// <summary>Postgres when Catalog:Provider is Postgres, else InMemory.</summary>
    Auto,
    InMemory,
    Postgres,
}

/// <summary>
/// One API key: a name (recorded as who changed a policy), a role, and where the key is — an
/// environment variable, a file, or only its SHA-256 (hex). The key itself never sits in the
/// configuration; the service keeps only its hash.
/// </summary>
public sealed class ApiKeyOptions
{
    public string Name { get; set; } = "";

    public ApiRole Role { get; set; } = ApiRole.Operator;

    public string? EnvironmentVariable { get; set; }

    public string? File { get; set; }

    public string? Sha256 { get; set; }
}

public enum ApiRole
{
    /// <summary>Read, trigger backups/copies, restore, cancel.</summary>
    Operator,

    /// <summary>Everything: also apply and delete policies, the Hangfire dashboard.</summary>
    Admin,
}
