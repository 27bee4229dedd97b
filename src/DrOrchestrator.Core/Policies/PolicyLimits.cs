namespace DrOrchestrator.Core.Policies;

/// <summary>
/// Bounds on what a policy file may hold. A policy is a few dozen lines written by a person;
/// anything far beyond these is a mistake or an attack, and must end in one clear problem line
/// rather than a stack overflow (YamlDotNet's representation model recurses once per nesting
/// level), a 10 MB catalog row or a million error lines.
/// </summary>
public static class PolicyLimits
{
    /// <summary>Largest policy file read (bytes). The largest real policy files are a few KiB.</summary>
    public const long MaxFileBytes = 1 << 20;

    /// <summary>Deepest nesting of mappings and lists; the format itself needs 4.</summary>
    public const int MaxDepth = 32;

    /// <summary>Longest <c>description</c> (characters): the catalog column's size.</summary>
    public const int MaxDescriptionLength = 1000;

    /// <summary>Longest other text value, e.g. a path or glob (characters): Linux's PATH_MAX.</summary>
    public const int MaxTextLength = 4096;

    /// <summary>Longest duration (rpo, rto): ten years. Beyond that a figure is a typo, not an objective.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(3650);

    /// <summary>How much of a bad value or key a problem message echoes.</summary>
    internal const int MaxEchoLength = 60;

    /// <summary><paramref name="text"/> cut to <see cref="MaxEchoLength"/> characters, marked with "…" when cut.</summary>
    internal static string Echo(string text) => text.Length <= MaxEchoLength ? text : string.Concat(text.AsSpan(0, MaxEchoLength), "…");
}
