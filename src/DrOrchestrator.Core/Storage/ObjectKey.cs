namespace DrOrchestrator.Core.Storage;

/// <summary>
/// The one definition of a valid object key, shared by every backend so that a key accepted by one
/// target is accepted by all (a repository must be copyable between clouds and the local disk).
/// </summary>
/// <remarks>
/// A key is a '/'-separated relative path of non-empty segments made of [A-Za-z0-9._-], where no
/// segment is "." or "..". This rules out absolute paths, backslashes, traversal and empty
/// segments, so a key maps safely to a file path, an S3 key and a blob name alike.
/// </remarks>
public static class ObjectKey
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the key when it is not a valid key.</summary>
    public static void Validate(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var problem = FindProblem(key, allowPartialLastSegment: false);
        if (problem is not null)
        {
            throw new ArgumentException($"Invalid object key '{key}': {problem}.", nameof(key));
        }
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <paramref name="prefix"/> is "" or a key prefix:
    /// complete valid segments, optionally followed by '/' or by the start of a segment.
    /// </summary>
    public static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length == 0)
        {
            return;
        }

        var problem = FindProblem(prefix, allowPartialLastSegment: true);
        if (problem is not null)
        {
            throw new ArgumentException($"Invalid object key prefix '{prefix}': {problem}.", nameof(prefix));
        }
    }

    /// <summary>True when <paramref name="key"/> is a valid key (see <see cref="Validate"/>).</summary>
    public static bool IsValid(string key) => key is not null && FindProblem(key, allowPartialLastSegment: false) is null;

    private static string? FindProblem(string key, bool allowPartialLastSegment)
    {
        if (key.Length == 0)
        {
            return "the key is empty";
        }

        if (key[0] == '/')
        {
            return "it must be relative (no leading '/')";
        }

        var segments = key.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var isLast = i == segments.Length - 1;
            if (isLast && allowPartialLastSegment)
            {
                // A prefix may end with '/' or with the start of a segment ("data/ab").
                return FindBadCharacter(segment);
            }

            if (segment.Length == 0)
            {
                return "it contains an empty segment";
            }

            if (segment is "." or "..")
            {
                return $"segment '{segment}' is not allowed";
            }

            if (FindBadCharacter(segment) is { } bad)
            {
                return bad;
            }
        }

        return null;
    }

    private static string? FindBadCharacter(string segment)
    {
        foreach (var c in segment)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return c == '\\'
                    ? "backslashes are not allowed"
                    : $"character '{c}' is not allowed (only [A-Za-z0-9._-] and '/')";
            }
        }

        return null;
    }
}
