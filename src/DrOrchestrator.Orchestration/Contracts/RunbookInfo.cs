namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>
/// The incident page of one policy (`drorch runbook`): where its data is, what unlocks it, and
/// the exact commands that restore the newest snapshot from each target.
/// </summary>
/// <param name="Source">"catalog", or "target NAME" when built from one repository without the catalog.</param>
public sealed record RunbookInfo(
    string Policy, DateTimeOffset GeneratedAt, string Source, string? ConfigurationFile, IReadOnlyList<RunbookTargetInfo> Targets,
    IReadOnlyList<string> EnvironmentVariables, IReadOnlyList<string> Notes);

/// <param name="Role">primary/replica, or null when unknown (built without the catalog).</param>
/// <param name="Location">The store as drorch describes it (e.g. "s3:bucket/prefix"), or the error that prevented opening it.</param>
/// <param name="Key">Where the repository key comes from: "environment variable NAME" or "file PATH".</param>
/// <param name="RestoreCommand">The command restoring the newest snapshot from this target; null when it holds none.</param>
/// <param name="PredictedRestore">Expected restore time, when a measurement exists; else why not.</param>
public sealed record RunbookTargetInfo(
    string Name, string? Role, string Type, string Location, string Key, string? NewestSnapshot, DateTimeOffset? NewestRecoveryPoint,
    long? NewestBytes, string? RestoreCommand, string PredictedRestore);
