using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Sources.PostgreSql;

internal static partial class Log
{
    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "Source {Source}: backing up {DatabaseCount} database(s) of PostgreSQL {ServerVersion} at {Server}")]
    public static partial void BackupStarting(ILogger logger, string source, string server, string serverVersion, int databaseCount);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Source {Source}: database {Database} dumped ({Bytes} bytes, {Tables} tables, {Rows} rows, recovery point {RecoveryPoint:O})")]
    public static partial void DatabaseDumped(ILogger logger, string source, string database, long bytes, int tables, long rows, DateTimeOffset recoveryPoint);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Restoring database {Database} into {Destination} (database {Target})")]
    public static partial void RestoreStarting(ILogger logger, string database, string destination, string target);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "Restore into {Destination}: dropping the non-empty database {Target} (--overwrite)")]
    public static partial void Overwriting(ILogger logger, string destination, string target);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Information, Message = "Restored database {Target} at {Destination} matches its fingerprint ({Tables} tables, {Rows} rows)")]
    public static partial void RestoreVerified(ILogger logger, string destination, string target, int tables, long rows);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Debug, Message = "Dump of database {Database}: {Step} done {Seconds:F2} s after the dump started")]
    public static partial void DumpStepDone(ILogger logger, string database, string step, double seconds);

    [LoggerMessage(EventId = 5106, Level = LogLevel.Debug, Message = "Restore into database {Target}: {Step} done {Seconds:F2} s after the restore started")]
    public static partial void RestoreStepDone(ILogger logger, string target, string step, double seconds);
}
