using DrOrchestrator.Catalog;

namespace DrOrchestrator.Orchestration.Drill;

/// <summary>
/// A drill as asked for: which policy, optionally one target, which snapshot (newest by default;
/// an id; or a random one whose recovery point is within <see cref="RandomWithin"/>), and
/// optionally a sample instead of every file.
/// </summary>
public sealed record DrillRequest(string Policy)
{
    /// <summary>Drill only this target (default: every target of the policy in turn).</summary>
    public string? FromTarget { get; init; }

    /// <summary>Snapshot id or unique prefix; default: the newest of the policy on each target.</summary>
    public string? SnapshotId { get; init; }

    /// <summary>Pick a random snapshot whose recovery point is at most this old (per target).</summary>
    public TimeSpan? RandomWithin { get; init; }

    /// <summary>Restore and verify only a sample (rolling: see <see cref="DrillSampleSchedule"/>); null = every file.</summary>
    public DrillSample? Sample { get; init; }

    /// <summary>Parses a <see cref="RandomWithin"/> window written as a policy duration (<c>30d</c>, <c>12h</c>); null when it is not one.</summary>
    public static TimeSpan? TryParseWindow(string text) =>
        Core.Policies.PolicyDuration.TryParse(text, out var window) && window > TimeSpan.Zero ? window : null;
}

/// <summary>How many files a sampled drill restores: a count, or a percentage of the snapshot's files.</summary>
public sealed record DrillSample(int? Files, double? Percent)
{
    /// <summary>Parses <c>N</c> or <c>P%</c>; null when the text is neither (a positive count, or 0 &lt; P ≤ 100).</summary>
    public static DrillSample? TryParse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.EndsWith('%'))
        {
            return double.TryParse(trimmed[..^1], System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var percent)
                && percent is > 0 and <= 100 ? new DrillSample(null, percent) : null;
        }

        return int.TryParse(trimmed, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var files) && files > 0
            ? new DrillSample(files, null)
            : null;
    }

    /// <summary>The number of files this sample asks for out of <paramref name="total"/> (at least 1 when there are any).</summary>
    public int FilesOf(int total) =>
        Files is { } n ? Math.Min(n, total) : Math.Min(total, Math.Max(total == 0 ? 0 : 1, (int)Math.Ceiling(total * Percent!.Value / 100)));

    public override string ToString() => Files is { } n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Percent}%";
}

/// <summary>
/// The drill of one target: the run it is recorded as, the snapshot, what was verified, the
/// achieved RTO (start until restored and verified) against the target, and every mismatch.
/// <see cref="Error"/> says why a drill failed before anything could be verified (target
/// unreadable, no snapshot).
/// </summary>
public sealed record TargetDrillOutcome(
    string Target,
    long RunId,
    string? SnapshotId,
    DrillOutcome Outcome,
    long FilesExpected,
    long FilesVerified,
    long BytesRestored,
    TimeSpan RtoAchieved,
    TimeSpan RtoTarget,
    IReadOnlyList<DrillMismatch> Mismatches,
    string? Error)
{
    /// <summary>Files in the snapshot; more than <see cref="FilesExpected"/> when only a sample was drilled.</summary>
    public long FilesInSnapshot { get; init; }

    /// <summary>Wall time of the restore alone (inside <see cref="RtoAchieved"/>).</summary>
    public TimeSpan RestoreTime { get; init; }

    /// <summary>Wall time of the independent re-read and SHA-256 check (inside <see cref="RtoAchieved"/>).</summary>
    public TimeSpan VerifyTime { get; init; }
}
