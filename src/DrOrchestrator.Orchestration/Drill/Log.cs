using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.Drill;

/// <summary>Log messages of the drill use case (event ids 1210–1299 of the 1200–1299 drill range; see docs/event-ids.md).</summary>
internal static partial class Log
{
    [LoggerMessage(1210, LogLevel.Information,
        "Drill of policy {Policy} from {Target}: {Outcome}, snapshot {SnapshotId}, {FilesVerified}/{FilesExpected} files verified, {Bytes} bytes, RTO {RtoSeconds:F1} s of {RtoTargetSeconds:F0} s")]
    public static partial void DrillFinished(ILogger logger, string policy, string target, string outcome, string snapshotId, long filesVerified, long filesExpected, long bytes, double rtoSeconds, double rtoTargetSeconds);

    [LoggerMessage(1211, LogLevel.Error, "Drill of policy {Policy} from {Target} FAILED: {Mismatches} mismatches, first: {First}")]
    public static partial void DrillMismatches(ILogger logger, string policy, string target, int mismatches, string first);

    [LoggerMessage(1212, LogLevel.Error, "Drill of policy {Policy} from {Target} FAILED before anything was verified: {Reason}")]
    public static partial void DrillBroken(ILogger logger, string policy, string target, string reason);

    [LoggerMessage(1213, LogLevel.Warning, "Removed the sandbox {Path} of a drill whose process is gone")]
    public static partial void LeftoverSandboxRemoved(ILogger logger, string path);

    [LoggerMessage(1214, LogLevel.Warning, "Drill of policy {Policy} from {Target} passed but took {RtoSeconds:F1} s, over the RTO target of {RtoTargetSeconds:F0} s")]
    public static partial void DrillOverRto(ILogger logger, string policy, string target, double rtoSeconds, double rtoTargetSeconds);

    [LoggerMessage(1215, LogLevel.Warning, "Dropped the scratch database {Database} of a drill whose process is gone")]
    public static partial void LeftoverScratchDatabaseDropped(ILogger logger, string database);

    [LoggerMessage(1216, LogLevel.Warning, "Could not drop the scratch database {Database} (the next drill on this host drops it): {Reason}")]
    public static partial void ScratchDatabaseNotDropped(ILogger logger, string database, string reason);

    [LoggerMessage(1217, LogLevel.Warning, "Drill of policy {Policy}, database {Database}: the engine's integrity check did not run: {Reason}")]
    public static partial void IntegrityCheckNotRun(ILogger logger, string policy, string database, string reason);

    [LoggerMessage(1218, LogLevel.Information, "Drill of policy {Policy}, database {Database}: restored into a scratch database, {Tables} tables and {Rows} rows match the fingerprint; {Check}: {Problems} problems")]
    public static partial void DatabaseDrilled(ILogger logger, string policy, string database, int tables, long rows, string check, int problems);
}
