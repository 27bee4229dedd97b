using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Restore;

/// <summary>
/// A restore's include globs as the admin writes them: over snapshot paths (first segment = the
/// source's name, e.g. <c>alice/etc/**</c>, the form the files take under the destination) or over
/// the original absolute paths (<c>/home/alice/etc/**</c>), which are turned into the first form.
/// </summary>
public static class IncludeFilter
{
    /// <summary>Each absolute glob rewritten relative to the folder holding the snapshot's source it falls under.</summary>
    public static IReadOnlyList<string> ToSnapshotGlobs(IReadOnlyList<string> include, Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(include);
        ArgumentNullException.ThrowIfNull(snapshot);
        var parents = snapshot.Paths
            .Select(p => Path.GetDirectoryName(p.TrimEnd('/')))
            .OfType<string>()
            .Select(p => p.EndsWith('/') ? p : p + "/")
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(p => p.Length)
            .ToList();
        return [.. include.Select(glob => glob.StartsWith('/') && parents.FirstOrDefault(p => glob.StartsWith(p, StringComparison.Ordinal)) is { } parent
            ? glob[parent.Length..]
            : glob)];
    }

    /// <summary>The refusal when the globs select nothing: it shows how the snapshot's paths look, in both accepted forms.</summary>
    public static RestoreRefusedException MatchesNothing(IReadOnlyList<string> include, Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(include);
        ArgumentNullException.ThrowIfNull(snapshot);
        var examples = snapshot.Paths.Take(3).Select(p => $"{Path.GetFileName(p.TrimEnd('/'))}/… or {p.TrimEnd('/')}/…");
        return new RestoreRefusedException(
            $"--include {string.Join(" ", include.Select(g => $"'{g}'"))} matches nothing in snapshot {snapshot.ShortId}; its paths look like {string.Join(", ", examples)}");
    }
}
