using DrOrchestrator.Core.Sources;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Sources.Sqlite;

/// <summary>
/// Restores a SQLite database image to a file: written under a temporary name next to the
/// destination, checked (<c>PRAGMA integrity_check</c>, fingerprint) and only then renamed into
/// place — a destination that already exists is refused unless overwrite was asked for.
/// </summary>
internal static class SqliteRestorer
{
    /// <summary>A new file readable by this user only (it holds a whole database).</summary>
    private static FileStreamOptions CreateOptions()
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return options;
    }

    public static async Task<DatabaseRestoreResult> RestoreAsync(DatabaseRestoreRequest request, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var destination = request.Destination;
        if (!Path.IsPathFullyQualified(destination))
        {
            throw new DatabaseRestoreRefusedException($"--to-db: '{destination}' is not an absolute path (a SQLite source restores to a database file)");
        }

        if (File.Exists(destination) && new FileInfo(destination).Length > 0 && !request.Overwrite)
        {
            throw new DatabaseRestoreRefusedException($"--to-db: {destination} exists and is not empty; restore to a new file or pass --overwrite to replace it");
        }

        var directory = Path.GetDirectoryName(destination)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(destination)}.drorch-{Guid.NewGuid():N}");
        try
        {
            long bytes;
            var source = await request.OpenItem(request.Dump.Item, ct).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            await using (var target = new FileStream(temporary, CreateOptions()))
            {
                await source.CopyToAsync(target, 1 << 20, ct).ConfigureAwait(false);
                bytes = target.Length;
            }

            List<TableFingerprint> actual;
            // Read-write: a WAL-mode image gets its -wal/-shm files, and the last connection's close removes them again.
            await using (var check = SqliteImage.Open(temporary, SqliteOpenMode.ReadWrite))
            {
                await check.OpenAsync(ct).ConfigureAwait(false);
                await SqliteFingerprint.EnsureIntegrityAsync(check, $"restore of {request.Dump.Name}", ct).ConfigureAwait(false);
                actual = await SqliteFingerprint.ComputeAsync(check, ct).ConfigureAwait(false);
            }

            var differences = TableFingerprint.Compare(request.Dump.Tables, actual);
            if (differences.Count > 0)
            {
                throw new FingerprintMismatchException(destination, differences);
            }

            File.Move(temporary, destination, overwrite: true);
            Log.RestoreVerified(logger, destination, actual.Count, actual.Sum(t => t.Rows));
            return new DatabaseRestoreResult(request.Dump.Name, destination, actual.Count, actual.Sum(t => t.Rows), bytes, request.Dump.RecoveryPoint);
        }
        finally
        {
            foreach (var leftover in new[] { temporary, temporary + "-wal", temporary + "-shm", temporary + "-journal" })
            {
                File.Delete(leftover);
            }
        }
    }
}
