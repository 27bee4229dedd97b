using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Sources;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Sources.Sqlite;

/// <summary>
/// Backs up one SQLite database file with SQLite's online backup API, which copies a consistent
/// image while other connections keep writing. The API writes a database, not a stream, so the
/// image goes to a private temp file (mode 0600, deleted afterwards; docs/decisions.md §53); it
/// is checked with <c>PRAGMA integrity_check</c> and fingerprinted there, then streamed into the
/// repository as <c>NAME/FILE</c>.
/// </summary>
internal sealed class SqliteBackupSource(DatabaseSource source, ILogger logger) : IBackupSource
{
    public string Type => DatabaseSource.SqliteType;

    public IReadOnlyList<string> Entries => [source.Name];

    public async Task<SourceAdded> AddToAsync(RepositoryWriter writer, SourceBackupContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var path = source.Path!;
        if (!File.Exists(path))
        {
            throw new SourceFailedException($"source {source.Name}: SQLite database {path} does not exist");
        }

        var fileName = Path.GetFileName(path);
        var item = $"{source.Name}/{fileName}";
        using var image = SqliteImage.Create();
        DateTimeOffset recoveryPoint;
        string version;
        try
        {
            await using var live = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            await live.OpenAsync(ct).ConfigureAwait(false);
            await using var copy = image.Open(SqliteOpenMode.ReadWriteCreate);
            await copy.OpenAsync(ct).ConfigureAwait(false);
            recoveryPoint = DateTimeOffset.UtcNow;
            live.BackupDatabase(copy);
            version = live.ServerVersion;
        }
        catch (SqliteException e)
        {
            throw new SourceFailedException($"source {source.Name}: cannot back up SQLite database {path}: {e.Message}", e);
        }

        List<TableFingerprint> tables;
        await using (var check = image.Open(SqliteOpenMode.ReadOnly))
        {
            await check.OpenAsync(ct).ConfigureAwait(false);
            await SqliteFingerprint.EnsureIntegrityAsync(check, $"source {source.Name}: backup image of {path}", ct).ConfigureAwait(false);
            tables = await SqliteFingerprint.ComputeAsync(check, ct).ConfigureAwait(false);
        }

        StoredStream stored;
        await using (var content = new FileStream(image.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
        {
            stored = await writer.AddStreamAsync(item, content, ct).ConfigureAwait(false);
        }

        var dump = new DatabaseDump(fileName, item, recoveryPoint, stored.Sha256, stored.Length, tables);
        var manifest = new DatabaseManifest(Type, version, null, recoveryPoint, [dump], null);
        var manifestId = await writer.SaveBlobAsync(manifest.ToJson(), ct).ConfigureAwait(false);
        writer.AddSource(new SnapshotSource(Type, [source.Name], recoveryPoint, [], [], [], manifestId));
        Log.DatabaseBackedUp(logger, source.Name, path, stored.Length, tables.Count, tables.Sum(t => t.Rows));
        return new SourceAdded(new SourceFigures(1, 0, 0, 0, 1, stored.Length, stored.Length, 0, 0), [], []);
    }
}

/// <summary>A private temp file for one SQLite database image (mode 0600), deleted on dispose.</summary>
internal sealed class SqliteImage : IDisposable
{
    private readonly string _directory;

    private SqliteImage(string directory)
    {
        _directory = directory;
    }

    public string Path => System.IO.Path.Combine(_directory, "image.db");

    public static SqliteImage Create()
    {
        // CreateTempSubdirectory makes the directory 0700: the image (a whole database) is readable by this user only.
        return new SqliteImage(Directory.CreateTempSubdirectory("drorch-sqlite-").FullName);
    }

    public SqliteConnection Open(SqliteOpenMode mode) => Open(Path, mode);

    public static SqliteConnection Open(string path, SqliteOpenMode mode) =>
        new(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone.
        }
    }
}
