using Microsoft.Data.Sqlite;

namespace DrOrchestrator.Catalog.Tests.Support;

/// <summary>A catalog file in its own temp directory (which does not exist yet: the migrator must create it).</summary>
internal sealed class TempSqliteFile : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"drorch-sqlite-{Guid.NewGuid():N}");

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
