using System.Text;
using System.Text.RegularExpressions;

namespace DrOrchestrator.Core.Backup;

/// <summary>
/// Matches '/'-separated relative paths against globs, gitignore-style:
/// <c>*</c> = any run of chars except '/', <c>?</c> = one char except '/', <c>[abc]</c>/<c>[!a-z]</c> = a class,
/// <c>**</c> = any number of path segments. A glob without '/' matches a name at any depth
/// ("*.log"); a glob with '/' is anchored at the root ("src/**/*.cs"; a leading '/' is ignored).
/// A directory that matches makes everything below it match too (<see cref="MatchesSelfOrAncestor"/>).
/// </summary>
public sealed class GlobMatcher : IPathSelection
{
    private readonly Regex[] _patterns;

    /// <summary>Per anchored glob, one regex per '/'-separated segment (null: a "**" segment); null for a glob that can match at any depth.</summary>
    private readonly Regex?[]?[] _segments;

    public GlobMatcher(IEnumerable<string> globs)
    {
        ArgumentNullException.ThrowIfNull(globs);
        var kept = globs.Where(g => !string.IsNullOrWhiteSpace(g)).ToList();
        _patterns = [.. kept.Select(Compile)];
        _segments = [.. kept.Select(CompileSegments)];
    }

    public bool IsEmpty => _patterns.Length == 0;

    /// <summary>True when <paramref name="relativePath"/> itself matches one of the globs.</summary>
    public bool Matches(string relativePath)
    {
        foreach (var pattern in _patterns)
        {
            if (pattern.IsMatch(relativePath))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the path or one of its parent directories matches.</summary>
    public bool MatchesSelfOrAncestor(string relativePath)
    {
        for (var end = relativePath.Length; end > 0; end = relativePath.LastIndexOf('/', end - 1))
        {
            if (Matches(relativePath[..end]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// False only when nothing at or below the directory <paramref name="relativeDirectory"/> can
    /// match: a walk may then skip the whole subtree without reading it (a one-file restore reads
    /// the trees on the file's path, not every directory of the snapshot). Conservative: true
    /// whenever a glob can match at any depth or has a "**" at or above this depth.
    /// </summary>
    public bool CouldMatchBelow(string relativeDirectory)
    {
        if (IsEmpty || relativeDirectory.Length == 0)
        {
            return true;
        }

        var parts = relativeDirectory.Split('/');
        foreach (var segments in _segments)
        {
            if (segments is null || PrefixCouldMatch(segments, parts))
            {
                return true;
            }
        }

        return MatchesSelfOrAncestor(relativeDirectory);
    }

    private static bool PrefixCouldMatch(Regex?[] segments, string[] parts)
    {
        for (var i = 0; i < parts.Length; i++)
        {
            if (i >= segments.Length)
            {
                return false;
            }

            if (segments[i] is not { } segment)
            {
                return true;
            }

            if (!segment.IsMatch(parts[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static Regex?[]? CompileSegments(string glob)
    {
        var g = glob.Trim().Replace('\\', '/').TrimEnd('/');
        if (!g.Contains('/', StringComparison.Ordinal) || ClassHoldsSlash(g))
        {
            return null;
        }

        return [.. g.TrimStart('/').Split('/').Select(part => part.Contains("**", StringComparison.Ordinal) ? null : Compile("/" + part))];
    }

    /// <summary>A "[...]" holding '/' cannot be split into segments; such a glob is treated as matching anywhere.</summary>
    private static bool ClassHoldsSlash(string glob)
    {
        for (var open = glob.IndexOf('[', StringComparison.Ordinal); open >= 0; open = glob.IndexOf('[', open + 1))
        {
            var close = glob.IndexOf(']', open + 1);
            if (close > 0 && glob.AsSpan(open, close - open).Contains('/'))
            {
                return true;
            }
        }

        return false;
    }

    private static Regex Compile(string glob)
    {
        var g = glob.Trim().Replace('\\', '/').TrimEnd('/');
        var anchored = g.Contains('/', StringComparison.Ordinal);
        g = g.TrimStart('/');
        var sb = new StringBuilder(anchored ? "^" : "^(?:.*/)?");
        for (var i = 0; i < g.Length; i++)
        {
            var c = g[i];
            if (c == '*' && i + 1 < g.Length && g[i + 1] == '*')
            {
                var slashAfter = i + 2 < g.Length && g[i + 2] == '/';
                sb.Append(slashAfter ? "(?:.*/)?" : ".*");
                i += slashAfter ? 2 : 1;
            }
            else if (c == '*')
            {
                sb.Append("[^/]*");
            }
            else if (c == '?')
            {
                sb.Append("[^/]");
            }
            else if (c == '[' && g.IndexOf(']', i + 1) is var close and > 0)
            {
                var body = g[(i + 1)..close];
                sb.Append('[').Append(body.StartsWith('!') ? "^" + Regex.Escape(body[1..]) : Regex.Escape(body)).Append(']');
                i = close;
            }
            else
            {
                sb.Append(Regex.Escape(c.ToString()));
            }
        }

        sb.Append('$');
        return new Regex(sb.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
    }
}
