using DrOrchestrator.Core.Policies;
using Microsoft.AspNetCore.Http;

namespace DrOrchestrator.Server.Api;

/// <summary>RFC 7807 problem details for the API's refusals; policy problems keep the CLI's <c>file:line: field: message</c> lines.</summary>
public static class Problems
{
    public static IResult InvalidPolicy(IReadOnlyList<PolicyProblem> problems) => Results.Problem(
        title: "invalid policy",
        detail: problems.Count == 1 ? problems[0].ToString() : $"{problems[0]} (and {problems.Count - 1} more problems)",
        statusCode: StatusCodes.Status400BadRequest,
        type: "https://drorch.dev/problems/invalid-policy",
        extensions: new Dictionary<string, object?> { ["problems"] = problems.Select(p => p.ToString()).ToArray() });

    public static IResult BadRequest(string detail) => Results.Problem(title: "invalid request", detail: detail, statusCode: StatusCodes.Status400BadRequest);

    public static IResult NotFound(string detail) => Results.Problem(title: "not found", detail: detail, statusCode: StatusCodes.Status404NotFound);

    public static IResult Conflict(string detail) => Results.Problem(title: "conflict", detail: detail, statusCode: StatusCodes.Status409Conflict);

    /// <summary>The 1-based line of the first <c>cron:</c> key at or after the line holding <paramref name="section"/>, else 0.</summary>
    public static int LineOf(string yaml, string section)
    {
        var lines = yaml.Split('\n');
        int start = Array.FindIndex(lines, l => l.TrimStart().StartsWith(section + ":", StringComparison.Ordinal));
        if (start < 0)
        {
            return 0;
        }

        for (int i = start; i < lines.Length; i++)
        {
            if (lines[i].Contains("cron:", StringComparison.Ordinal))
            {
                return i + 1;
            }
        }

        return start + 1;
    }
}
