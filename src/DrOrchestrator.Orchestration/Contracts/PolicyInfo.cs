using System.Text.Json.Serialization;
using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Orchestration.Contracts;

public sealed record PolicyTargetInfo(string Name, string Role)
{
    public override string ToString() => $"{Name}:{Role}";
}

/// <summary>A stored policy as `policy list --json` and the API show it.</summary>
public sealed record PolicyInfo(
    string Name, string? Description, long RpoSeconds, long RtoSeconds, string Cron, string TimeZone, int MinPrimaries, IReadOnlyList<PolicyTargetInfo> Targets)
{
    /// <summary>The RPO as written in a policy file (e.g. "24h"); for display.</summary>
    [JsonIgnore]
    public string RpoText { get; init; } = "";

    /// <summary>The RTO as written in a policy file; for display.</summary>
    [JsonIgnore]
    public string RtoText { get; init; } = "";

    public static PolicyInfo From(Policy p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new(
            p.Name, p.Description, (long)p.Rpo.TotalSeconds, (long)p.Rto.TotalSeconds, p.Schedule.Cron, p.Schedule.TimeZone, p.MinPrimaries,
            [.. p.Targets.Select(t => new PolicyTargetInfo(t.Name, t.Role.ToString().ToLowerInvariant()))])
        {
            RpoText = PolicyDuration.Format(p.Rpo),
            RtoText = PolicyDuration.Format(p.Rto),
        };
    }
}

/// <summary>A policy file that passed validation, with the policies it defines.</summary>
public sealed record ValidPolicyFile(string File, IReadOnlyList<string> Policies);
