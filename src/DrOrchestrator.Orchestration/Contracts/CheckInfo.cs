using System.Text.Json.Serialization;
using DrOrchestrator.Core.Check;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>One finding of `check` (severity "error", "warning" or "info").</summary>
public sealed record CheckFindingInfo(string Severity, string? Object, string Message, IReadOnlyList<string> AffectedFiles)
{
    /// <summary>The finding as one line for people (the checker's own wording).</summary>
    [JsonIgnore]
    public string Text { get; init; } = "";

    [JsonIgnore]
    public bool IsError => Severity == "error";

    public static CheckFindingInfo From(CheckFinding f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new(f.Severity.ToString().ToLowerInvariant(), f.ObjectKey, f.Message, f.AffectedFiles) { Text = f.ToString() };
    }
}

/// <summary>The counts of a check of one target, written after its findings.</summary>
public sealed record CheckSummaryInfo(string Target, int Errors, int Warnings, int Notes)
{
    public override string ToString() => $"check of {Target}: {Errors} errors, {Warnings} warnings, {Notes} notes";
}

/// <summary>Counts findings as they stream by, for <see cref="CheckSummaryInfo"/>.</summary>
public sealed class CheckTally(string target)
{
    private int _errors;
    private int _warnings;
    private int _notes;

    public void Add(CheckFindingInfo finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        switch (finding.Severity)
        {
            case "error": _errors++; break;
            case "warning": _warnings++; break;
            default: _notes++; break;
        }
    }

    public CheckSummaryInfo Summary => new(target, _errors, _warnings, _notes);
}
