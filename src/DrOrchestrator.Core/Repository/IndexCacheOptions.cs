namespace DrOrchestrator.Core.Repository;

/// <summary>
/// Where <see cref="BackupRepository.OpenAsync(Storage.IObjectStore, Security.RepositoryKey, IndexCacheOptions?, CancellationToken)"/>
/// keeps its local copy of the built blob index, one file per repository (docs/decisions.md §24).
/// </summary>
/// <param name="Directory">An absolute folder; created (mode 0700) on the first write.</param>
public sealed record IndexCacheOptions(string Directory)
{
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
