namespace DrOrchestrator.Core.Backup;

/// <summary>Which '/'-separated snapshot paths a walk selects (globs, or an exact list).</summary>
internal interface IPathSelection
{
    /// <summary>True when everything is selected.</summary>
    bool IsEmpty { get; }

    /// <summary>True when the path or one of its parent directories is selected.</summary>
    bool MatchesSelfOrAncestor(string relativePath);

    /// <summary>False only when nothing at or below the directory can be selected (its subtree is then not read).</summary>
    bool CouldMatchBelow(string relativeDirectory);
}

/// <summary>An exact list of paths, taken literally (a drill's sample: a name with '*' or '[' in it is just a name).</summary>
internal sealed class ExactPathSelection : IPathSelection
{
    private readonly HashSet<string> _paths;
    private readonly HashSet<string> _ancestors = new(StringComparer.Ordinal);

    public ExactPathSelection(IEnumerable<string> paths)
    {
        _paths = new HashSet<string>(paths, StringComparer.Ordinal);
        foreach (var path in _paths)
        {
            for (var end = path.LastIndexOf('/'); end > 0; end = path.LastIndexOf('/', end - 1))
            {
                if (!_ancestors.Add(path[..end]))
                {
                    break;
                }
            }
        }
    }

    public bool IsEmpty => false;

    public bool MatchesSelfOrAncestor(string relativePath) => _paths.Contains(relativePath);

    public bool CouldMatchBelow(string relativeDirectory) =>
        relativeDirectory.Length == 0 || _ancestors.Contains(relativeDirectory) || _paths.Contains(relativeDirectory);
}
