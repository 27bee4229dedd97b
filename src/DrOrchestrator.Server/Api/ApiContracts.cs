using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Server.Work;

namespace DrOrchestrator.Server.Api;

// The JSON the REST API returns. Stable like the CLI's --json: fields are added, never renamed.

public sealed record PolicyTargetDto(string Name, string Role);

public sealed record PolicyDto(
    string Name, string? Description, string Cron, string TimeZone, IReadOnlyList<string> Blackouts, string Rpo, string Rto,
    IReadOnlyList<PolicyTargetDto> Targets, DateTimeOffset AppliedAt, DateTimeOffset? NextBackupAt, string? ScheduleProblem,
    string? Yaml = null, string? YamlSha256 = null)
{
    public static PolicyDto From(CatalogPolicy stored, Policy policy, DateTimeOffset? next, string? problem, bool withYaml) => new(
        policy.Name, policy.Description, policy.Schedule.Cron, policy.Schedule.TimeZone, [.. policy.Schedule.Blackouts.Select(b => b.ToString())],
        PolicyDuration.Format(policy.Rpo), PolicyDuration.Format(policy.Rto),
        [.. policy.Targets.Select(t => new PolicyTargetDto(t.Name, t.Role.ToString().ToLowerInvariant()))],
        stored.AppliedAt, next, problem, withYaml ? stored.Yaml : null, withYaml ? stored.YamlSha256 : null);
}

public sealed record AppliedPoliciesDto(IReadOnlyList<string> Applied);

public sealed record ValidatedPoliciesDto(IReadOnlyList<string> Valid);

public sealed record PolicyChangeDto(long Id, string Policy, string Kind, DateTimeOffset ChangedAt, string ChangedBy, string? YamlBefore, string? YamlAfter)
{
    public static PolicyChangeDto From(PolicyChangeRecord c) =>
        new(c.Id, c.PolicyName, c.Kind.ToString().ToLowerInvariant(), c.ChangedAt, c.ChangedBy, c.YamlBefore, c.YamlAfter);
}

public sealed record JobDto(
    string JobId, string Kind, string Policy, string RequestedBy, string Phase, long FilesDone, long BytesDone, long? TotalBytes,
    DateTimeOffset QueuedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, long? RunId, string? Message)
{
    public static JobDto From(LiveJob j) => new(
        j.JobId, j.Kind, j.Policy, j.RequestedBy, j.Phase, j.FilesDone, j.BytesDone, j.TotalBytes, j.QueuedAt, j.StartedAt, j.FinishedAt, j.RunId, j.Message);
}

public sealed record RunDto(
    long Id, string? Policy, string? Target, string Kind, string Status, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt,
    long BytesRead, long BytesNew, long BytesStored, long Files, int Warnings, string? SnapshotId, string? Error)
{
    public static RunDto From(CatalogRun r) => new(
        r.Id, r.PolicyName, r.TargetName, r.Kind.ToString().ToLowerInvariant(), r.Status.ToString().ToLowerInvariant(), r.StartedAt, r.FinishedAt,
        r.Figures.BytesRead, r.Figures.BytesNew, r.Figures.BytesStored, r.Figures.Files, r.Figures.WarningsCount, r.Figures.SnapshotId, r.ErrorMessage);
}

public sealed record FireDto(long Id, string Policy, string Kind, DateTimeOffset ScheduledAt, DateTimeOffset RecordedAt, string Status, string? JobId, string? Detail)
{
    public static FireDto From(ScheduledFireRecord f) => new(
        f.Id, f.PolicyName, f.Kind.ToString().ToLowerInvariant(), f.ScheduledAt, f.RecordedAt, f.Status.ToString().ToLowerInvariant(), f.JobId, f.Detail);
}

/// <summary>What POST /api/policies/{name}/restore takes; the destination is relative to Server:RestoreRoot.</summary>
public sealed record RestoreRequestDto(string Destination, string? SnapshotId = null, DateTimeOffset? At = null, string? From = null, IReadOnlyList<string>? Include = null, bool Overwrite = false);

public sealed record PolicyStatusDto(
    string Name, DateTimeOffset? NextBackupAt, string? LastRunStatus, DateTimeOffset? LastRunAt, double? RpoExposureSeconds, double RpoSeconds, bool? RpoExceeded, string? ScheduleProblem);

public sealed record StatusDto(string Node, DateTimeOffset Now, IReadOnlyList<PolicyStatusDto> Policies, IReadOnlyList<JobDto> Jobs);

public sealed record CheckDto(string Name, bool Ok, string? Detail);

public sealed record ReadyDto(bool Ready, CheckDto Catalog, IReadOnlyList<CheckDto> Targets);
