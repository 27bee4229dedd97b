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
public sealed class GlobMatcher
{
    private readonly Regex[] _patterns;

    public GlobMatcher(IEnumerable<string> globs)
    {
        ArgumentNullException.ThrowIfNull(globs);
        _patterns = [.. globs.Where(g => !string.IsNullOrWhiteSpace(g)).Select(Compile)];
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
