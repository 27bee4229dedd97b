using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>Source-generated log messages of the composite stores (event ids 2400–2499; see docs/event-ids.md).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2401, Level = LogLevel.Warning, Message = "{Pool}: {Key}: member {Member} failed, trying the next member: {Reason}")]
    public static partial void PoolMemberReadFailed(ILogger logger, string pool, string key, string member, string reason);

    [LoggerMessage(EventId = 2402, Level = LogLevel.Warning, Message = "{Pool}: listing '{Prefix}' on member {Member} failed: {Reason}")]
    public static partial void PoolListFailed(ILogger logger, string pool, string prefix, string member, string reason);

    [LoggerMessage(EventId = 2410, Level = LogLevel.Debug, Message = "{Pool}: {Key}: copied {Bytes} bytes from {From} to {To}")]
    public static partial void RebalanceCopied(ILogger logger, string pool, string key, long bytes, string from, string to);

    [LoggerMessage(EventId = 2411, Level = LogLevel.Warning, Message = "{Pool}: rebalance: {Error}")]
    public static partial void RebalanceError(ILogger logger, string pool, string error);

    [LoggerMessage(EventId = 2412, Level = LogLevel.Information,
        Message = "{Pool}: rebalanced {Packs} packs: {Copies} copies ({Bytes} bytes) made, {Deleted} surplus copies deleted, {Metadata} metadata objects copied, {Errors} errors")]
    public static partial void RebalanceDone(ILogger logger, string pool, int packs, int copies, long bytes, int deleted, int metadata, int errors);

    [LoggerMessage(EventId = 2420, Level = LogLevel.Warning, Message = "{Store}: {Key}: {Reason}; reading the next copy")]
    public static partial void FallbackBadCopy(ILogger logger, string store, string key, string reason);

    [LoggerMessage(EventId = 2430, Level = LogLevel.Warning, Message = "{Mirror}: member {Member} is degraded and receives no further writes this session: {Reason}")]
    public static partial void MirrorMemberDegraded(ILogger logger, string mirror, string member, string reason);
}
