using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Core.Drill;

/// <summary>Log messages of the drill verification (event ids 2700–2799; see docs/event-ids.md).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2701, Level = LogLevel.Information,
        Message = "Re-read {Root}: {FilesVerified} of {FilesExpected} files verified, {Bytes} bytes, {Mismatches} mismatches in {Seconds:F1} s")]
    public static partial void Verified(ILogger logger, string root, long filesVerified, long filesExpected, long bytes, int mismatches, double seconds);
}
