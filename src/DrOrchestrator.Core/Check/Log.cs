using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Core.Check;

internal static partial class Log
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Check of {Store} finished with {Errors} error(s)")]
    public static partial void CheckFinished(ILogger logger, string store, int errors);
}
