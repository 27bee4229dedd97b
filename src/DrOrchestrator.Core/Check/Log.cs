using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Core.Check;

/// <summary>Log messages of the checker (event ids 2300–2399; see docs/event-ids.md).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "Check of {Store} finished with {Errors} error(s)")]
    public static partial void CheckFinished(ILogger logger, string store, int errors);
}
