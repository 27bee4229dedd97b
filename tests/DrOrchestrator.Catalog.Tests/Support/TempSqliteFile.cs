using Microsoft.Data.Sqlite;

namespace DrOrchestrator.Catalog.Tests.Support;

/// <summary>
/// A catalog file (not created yet) in its own temp directory. The directory exists: the migrator
/// never creates the folder of a catalog (issue 13: a typo must not create folders).
/// </summary>
internal sealed class TempSqliteFile : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"drorch-sqlite-{Guid.NewGuid():N}");

    public TempSqliteFile() => Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);

    public string FilePath => Path.Combine(_directory, "catalog", "drorch.db");

    public Dictionary<string, string?> Settings() => new()
    {
        ["Catalog:Provider"] = "Sqlite",
        ["Catalog:ConnectionString"] = $"Data Source={FilePath}",
    };

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
