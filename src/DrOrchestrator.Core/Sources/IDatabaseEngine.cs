using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Security;

namespace DrOrchestrator.Core.Sources;

/// <summary>
/// One database engine (<c>postgres</c>, <c>mariadb</c>, <c>sqlite</c>): makes the backup source
/// for a policy's <see cref="DatabaseSource"/> and restores one of its dumps into a new or empty
/// database, then checks the restored database against the fingerprint in the manifest. Each
/// <c>DrOrchestrator.Sources.*</c> project registers one.
/// </summary>
public interface IDatabaseEngine
{
    /// <summary>The policy source type this engine serves.</summary>
    string Type { get; }

    IBackupSource CreateSource(DatabaseSource source);

    /// <summary>Restores <see cref="DatabaseRestoreRequest.Dump"/> and verifies its fingerprint.</summary>
    /// <exception cref="DatabaseRestoreRefusedException">The destination is not empty and overwrite was not asked for, or the connection reference is invalid.</exception>
    /// <exception cref="FingerprintMismatchException">The restored database differs from the backup.</exception>
    /// <exception cref="SourceFailedException">The server or the client tool failed.</exception>
    Task<DatabaseRestoreResult> RestoreAsync(DatabaseRestoreRequest request, CancellationToken ct);

    /// <summary>
    /// Where a drill of <paramref name="source"/> may create scratch databases: the source's own
    /// server, or (SQLite) files in <paramref name="sandbox"/>, the drill's own folder.
    /// </summary>
    IScratchDatabases Scratch(DatabaseSource source, string sandbox);
}

/// <summary>What to restore where.</summary>
/// <param name="Manifest">The source's manifest (server version, every dump).</param>
/// <param name="Dump">The database to restore.</param>
/// <param name="Destination">Where to: an engine-specific connection reference without a password
/// (PostgreSQL/MariaDB: <c>host=… port=… user=… database=…</c>; SQLite: a file path).</param>
/// <param name="Password">Where the destination's password is; null = the client's own mechanisms.</param>
/// <param name="Overwrite">Replace a destination that already holds tables.</param>
/// <param name="OpenItem">Opens an item of the snapshot (a dump) as a stream that verifies its SHA-256 at the end.</param>
public sealed record DatabaseRestoreRequest(
    DatabaseManifest Manifest,
    DatabaseDump Dump,
    string Destination,
    SecretReference? Password,
    bool Overwrite,
    Func<string, CancellationToken, Task<Stream>> OpenItem);

/// <summary>A verified database restore.</summary>
/// <param name="Destination">The destination as given (it holds no password).</param>
public sealed record DatabaseRestoreResult(string Database, string Destination, int Tables, long Rows, long BytesRestored, DateTimeOffset RecoveryPoint);

/// <summary>A database restore refused before anything was written (exit 2: the admin's input).</summary>
public sealed class DatabaseRestoreRefusedException : Exception
{
    public DatabaseRestoreRefusedException(string message)
        : base(message)
    {
    }

    public DatabaseRestoreRefusedException()
    {
    }

    public DatabaseRestoreRefusedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
