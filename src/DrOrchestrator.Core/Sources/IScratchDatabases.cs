using DrOrchestrator.Core.Security;

namespace DrOrchestrator.Core.Sources;

/// <summary>
/// Where a drill may create throw-away databases for one database source: on the source's own
/// server (PostgreSQL, MariaDB) or in the drill's sandbox folder (SQLite). A drill restores a dump
/// into a scratch database through <see cref="IDatabaseEngine.RestoreAsync"/> (which checks the
/// fingerprint), runs <see cref="CheckIntegrityAsync"/>, and drops it with <see cref="DropAsync"/>
/// whatever happened. Names are chosen by the caller and are plain identifiers
/// (<c>[a-z0-9_]</c>), so no quoting question arises.
/// </summary>
public interface IScratchDatabases
{
    /// <summary>The <c>--to-db</c> reference of the scratch database <paramref name="name"/> (no password).</summary>
    string Reference(string name);

    /// <summary>Where the password of the server is (the source's own reference); null = the client's own mechanisms.</summary>
    SecretReference? Password { get; }

    /// <summary>The names of existing databases starting with <paramref name="prefix"/> (to sweep those of killed drills).</summary>
    /// <exception cref="SourceFailedException">The server cannot be reached.</exception>
    Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken ct);

    /// <summary>Drops <paramref name="name"/> (also while connections are open); nothing when it does not exist.</summary>
    /// <exception cref="SourceFailedException">The server cannot be reached or refuses.</exception>
    Task DropAsync(string name, CancellationToken ct);

    /// <summary>The engine's own consistency check of a restored database (PostgreSQL: amcheck; MariaDB: CHECK TABLE; SQLite: PRAGMA integrity_check).</summary>
    /// <exception cref="SourceFailedException">The server cannot be reached.</exception>
    Task<IntegrityCheckResult> CheckIntegrityAsync(string name, CancellationToken ct);
}

/// <summary>What an engine's integrity check found.</summary>
/// <param name="Check">What was run, for the record (e.g. <c>amcheck bt_index_check + verify_heapam on 4 relations</c>).</param>
/// <param name="Problems">One line per problem, naming the table or index; empty = consistent.</param>
/// <param name="NotRun">Why the check could not run (e.g. the role may not create the amcheck extension); null when it ran.</param>
public sealed record IntegrityCheckResult(string Check, IReadOnlyList<string> Problems, string? NotRun = null);
