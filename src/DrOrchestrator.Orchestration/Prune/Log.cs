using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.Prune;

/// <summary>Log messages of the prune use case (event ids 1500–1599; see docs/event-ids.md).</summary>
internal static partial class Log
{
    [LoggerMessage(1500, LogLevel.Information, "Prune of policy {Policy} on {Target}: {Forgotten} snapshot(s) forgotten, {PacksDeleted} pack(s) deleted ({BytesDeleted} bytes), {MarksPending} deletion mark(s) waiting")]
    public static partial void Pruned(ILogger logger, string policy, string target, int forgotten, int packsDeleted, long bytesDeleted, int marksPending);

    [LoggerMessage(1501, LogLevel.Error, "Prune of policy {Policy} on {Target} failed: {Reason}")]
    public static partial void PruneFailed(ILogger logger, string policy, string target, string reason);
}
