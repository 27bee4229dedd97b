namespace DrOrchestrator.Core.Policies;

/// <summary>
/// What a policy backs up. The model is open: each source type is a subclass carrying its own
/// typed settings, and <see cref="Type"/> is the discriminator written in YAML
/// (<c>files</c> now; <c>postgres</c>, <c>mariadb</c>, <c>sqlite</c> later).
/// </summary>
public abstract record PolicySource(string Type);

/// <summary>
/// Files and directories. <see cref="Include"/> and <see cref="Exclude"/> are globs relative to
/// each path in <see cref="Paths"/>; a file is taken when it matches an include and no exclude.
/// </summary>
public sealed record FilesSource(
    IReadOnlyList<string> Paths,
    IReadOnlyList<string> Include,
    IReadOnlyList<string> Exclude) : PolicySource(TypeName)
{
    /// <summary>The YAML <c>type</c> value of this source.</summary>
    public const string TypeName = "files";

    /// <summary>Default include list: everything below each path.</summary>
    public static IReadOnlyList<string> DefaultInclude { get; } = ["**/*"];
}

/// <summary>
/// A live database (<c>postgres</c>, <c>mariadb</c> or <c>sqlite</c>): dumped consistently into the
/// snapshot under the top-level entry <see cref="Name"/>, with a manifest (engine, server version,
/// recovery point, per-table fingerprint). The password is never part of the policy: it is read at
/// run time from <see cref="PasswordEnvironmentVariable"/> or <see cref="PasswordFile"/> (or the
/// client's own mechanisms, e.g. a pgpass file or peer authentication over a socket).
/// </summary>
/// <param name="Name">The snapshot entry the source's items go under (default: the type); unique in the policy.</param>
/// <param name="Host">Server host name or address; null with <paramref name="Socket"/> or for SQLite.</param>
/// <param name="Port">Server port; null = the engine's default.</param>
/// <param name="Socket">Unix socket path (PostgreSQL: the socket directory; MariaDB: the socket file).</param>
/// <param name="User">Login role; null = the engine's default.</param>
/// <param name="Databases">The databases to dump; empty = <c>all</c> (every database that accepts connections).</param>
/// <param name="Globals">Also dump roles and tablespaces (PostgreSQL: <c>pg_dumpall --globals-only</c>).</param>
/// <param name="FromReplica">PostgreSQL: the server is a streaming standby; the recovery point is its last replay time.</param>
/// <param name="MaxReplicaLag">PostgreSQL with <paramref name="FromReplica"/>: refuse when the standby is further behind.</param>
/// <param name="Path">SQLite: the absolute path of the database file.</param>
public sealed record DatabaseSource(
    string Type,
    string Name,
    string? Host,
    int? Port,
    string? Socket,
    string? User,
    IReadOnlyList<string> Databases,
    string? PasswordEnvironmentVariable,
    string? PasswordFile,
    bool Globals,
    bool FromReplica,
    TimeSpan? MaxReplicaLag,
    string? Path) : PolicySource(Type)
{
    public const string PostgresType = "postgres";
    public const string MariaDbType = "mariadb";
    public const string SqliteType = "sqlite";

    /// <summary>The database source types, in the order error messages list them.</summary>
    public static IReadOnlyList<string> Types { get; } = [PostgresType, MariaDbType, SqliteType];

    /// <summary>The default of <see cref="Parallel"/>.</summary>
    public const int DefaultParallel = 2;

    /// <summary>The most connections <see cref="Parallel"/> may ask for.</summary>
    public const int MaxParallel = 32;

    /// <summary>
    /// PostgreSQL (<c>parallel:</c>): how many connections copy tables at once during a backup, and
    /// build indexes and copy tables during a restore of its snapshots (docs/decisions.md §59).
    /// </summary>
    public int Parallel { get; init; } = DefaultParallel;

    /// <summary>Every database of the server (<c>databases: all</c>).</summary>
    public bool AllDatabases => Databases.Count == 0;

    /// <summary>
    /// Where the password is (never its value): null when neither <see cref="PasswordEnvironmentVariable"/>
    /// nor <see cref="PasswordFile"/> is set, and the client's own mechanisms apply.
    /// </summary>
    public Security.SecretReference? Password =>
        PasswordEnvironmentVariable is null && PasswordFile is null ? null : new(PasswordEnvironmentVariable, PasswordFile);
}
