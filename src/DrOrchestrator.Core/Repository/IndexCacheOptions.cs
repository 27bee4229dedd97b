namespace DrOrchestrator.Core.Repository;

/// <summary>
/// Where <see cref="BackupRepository.OpenAsync(Storage.IObjectStore, Security.RepositoryKey, IndexCacheOptions?, CancellationToken)"/>
/// keeps its local copy of the built blob index, one file per repository (docs/decisions.md §24).
/// </summary>
/// <param name="Directory">An absolute folder; created (mode 0700) on the first write.</param>
public sealed record IndexCacheOptions(string Directory)
{
    /// <summary>
    /// A cache is written only for a repository whose index objects hold at least this many bytes
    /// (default 1 MiB, ~22,000 blobs) or number at least <see cref="MinimumIndexObjects"/>: below
    /// both, reading them costs about what reading the cache would.
    /// </summary>
    public long MinimumIndexBytes { get; init; } = 1024 * 1024;

    /// <summary>See <see cref="MinimumIndexBytes"/> (default 16: on a cloud target every object is a request).</summary>
    public int MinimumIndexObjects { get; init; } = 16;

    /// <summary>
    /// <c>$XDG_CACHE_HOME/drorch/index</c>, else <c>~/.cache/drorch/index</c>; null when neither
    /// names an absolute folder (no home directory: no cache).
    /// </summary>
    public static string? DefaultDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathFullyQualified(xdg))
        {
            return Path.Combine(xdg, "drorch", "index");
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrWhiteSpace(home) || !Path.IsPathFullyQualified(home) ? null : Path.Combine(home, ".cache", "drorch", "index");
    }
}
