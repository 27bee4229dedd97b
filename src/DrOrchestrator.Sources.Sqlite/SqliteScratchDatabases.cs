using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Sources;
using Microsoft.Data.Sqlite;

namespace DrOrchestrator.Sources.Sqlite;

/// <summary>
/// Scratch databases of a drill for a SQLite source: files in the drill's own sandbox folder
/// (never next to the source), so a killed drill's leftovers go with its sandbox. The integrity
/// check is <c>PRAGMA integrity_check</c>.
/// </summary>
internal sealed class SqliteScratchDatabases(string sandbox) : IScratchDatabases
{
    private const string Extension = ".sqlite";

    public SecretReference? Password => null;

    public string Reference(string name) => Path.Combine(Path.GetFullPath(sandbox), name + Extension);

    public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<string>>(Directory.Exists(sandbox)
            ? [.. Directory.EnumerateFiles(sandbox, prefix + "*" + Extension).Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal)]
            : []);

    public Task DropAsync(string name, CancellationToken ct)
    {
        var file = Reference(name);
        foreach (var path in new[] { file, file + "-wal", file + "-shm", file + "-journal" })
        {
            File.Delete(path);
        }

        return Task.CompletedTask;
    }

    public async Task<IntegrityCheckResult> CheckIntegrityAsync(string name, CancellationToken ct)
    {
        await using var connection = SqliteImage.Open(Reference(name), SqliteOpenMode.ReadWrite);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        try
        {
            await SqliteFingerprint.EnsureIntegrityAsync(connection, name, ct).ConfigureAwait(false);
            return new IntegrityCheckResult("PRAGMA integrity_check", []);
        }
        catch (SourceFailedException e)
        {
            return new IntegrityCheckResult("PRAGMA integrity_check", [e.Message]);
        }
    }
}
