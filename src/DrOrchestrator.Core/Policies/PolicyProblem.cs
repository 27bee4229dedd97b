namespace DrOrchestrator.Core.Policies;

/// <summary>
/// One thing wrong with a policy file. <see cref="Line"/> is 1-based (0 when the problem is
/// about the file as a whole); <see cref="Field"/> is a path such as <c>targets[1].role</c>
/// (empty for file-level and syntax problems).
/// </summary>
public sealed record PolicyProblem(string File, int Line, string Field, string Message)
{
    /// <summary><c>file:line: field: message</c>, the shape compilers use so editors can jump to it.</summary>
    public override string ToString()
    {
        var location = Line > 0 ? $"{File}:{Line}" : File;
        return Field.Length > 0 ? $"{location}: {Field}: {Message}" : $"{location}: {Message}";
    }
}

/// <summary>
/// Outcome of parsing a policy file: the policies that are valid, and every problem found.
/// A caller applying policies should refuse the whole file when <see cref="Problems"/> is not
/// empty, so half a file is never applied.
/// </summary>
public sealed record PolicyParseResult(IReadOnlyList<Policy> Policies, IReadOnlyList<PolicyProblem> Problems)
{
    /// <summary>True when the file had no problem at all.</summary>
    public bool IsValid => Problems.Count == 0;
}
