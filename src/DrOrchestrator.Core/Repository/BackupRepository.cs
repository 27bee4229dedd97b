using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Security;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// An opened repository on one object store: its config, master key and blob index.
/// Engines (Archiver, Restorer, Checker) work on it. See FORMAT.md for the layout.
/// </summary>
public sealed class BackupRepository : IAsyncDisposable
{
    private BackupRepository(IObjectStore store, RepositoryConfig config)
    {
        Store = store;
        Config = config;
    }

    public IObjectStore Store { get; }

    public RepositoryConfig Config { get; }

    /// <summary>Creates a new repository. Throws <see cref="RepositoryAlreadyExistsException"/> if one exists.</summary>
    public static Task<BackupRepository> InitAsync(IObjectStore store, RepositoryKey key, RepositoryInitOptions? options, CancellationToken ct) =>
        throw new NotImplementedException();

    /// <summary>Opens an existing repository; throws <see cref="RepositoryNotFoundException"/> or <see cref="WrongRepositoryKeyException"/>.</summary>
    public static Task<BackupRepository> OpenAsync(IObjectStore store, RepositoryKey key, CancellationToken ct) =>
        throw new NotImplementedException();

    /// <summary>True when the store holds a repository config object.</summary>
    public static Task<bool> ExistsAsync(IObjectStore store, CancellationToken ct) =>
        throw new NotImplementedException();

    /// <summary>All snapshots, oldest first.</summary>
    public Task<IReadOnlyList<Snapshot>> ListSnapshotsAsync(CancellationToken ct) =>
        throw new NotImplementedException();

    /// <summary>The snapshot whose id is or starts with the argument; <see cref="SnapshotNotFoundException"/> if none or ambiguous.</summary>
    public Task<Snapshot> FindSnapshotAsync(string idOrUniquePrefix, CancellationToken ct) =>
        throw new NotImplementedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
