using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Sources.Sqlite;

internal static partial class Log
{
    [LoggerMessage(EventId = 5300, Level = LogLevel.Information, Message = "Source {Source}: SQLite database {Path} backed up ({Bytes} bytes, {Tables} tables, {Rows} rows)")]
    public static partial void DatabaseBackedUp(ILogger logger, string source, string path, long bytes, int tables, long rows);

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "Restored SQLite database {Destination} matches its fingerprint ({Tables} tables, {Rows} rows)")]
    public static partial void RestoreVerified(ILogger logger, string destination, int tables, long rows);
}
