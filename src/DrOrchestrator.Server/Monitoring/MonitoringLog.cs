using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Server.Monitoring;

/// <summary>Log events of the service's monitoring (ids 6450–6499; see docs/event-ids.md).</summary>
internal static partial class MonitoringLog
{
    [LoggerMessage(6450, LogLevel.Error, "Monitoring pass failed: {Reason}")]
    public static partial void PassFailed(ILogger logger, string reason);
}
