using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Storage.S3;

/// <summary>Log messages of the S3 backend (event ids 4100–4199; see docs/event-ids.md). No credentials are ever logged.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning,
        Message = "Aborting multipart upload of '{Key}' on {Store} failed; the service's lifecycle rule must clean up the parts")]
    public static partial void AbortFailed(ILogger logger, Exception exception, string key, string store);
}
