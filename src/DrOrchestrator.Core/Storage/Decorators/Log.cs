using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Core.Storage.Decorators;

/// <summary>Log messages of the storage decorators (event ids 2100–2199; see docs/event-ids.md). Keys and store descriptions never hold secrets.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning,
        Message = "{Operation} of '{Key}' on {Store} failed (attempt {Attempt}); retrying in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, Exception exception, string operation, string? key, string store, int attempt, long delayMs);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error,
        Message = "{Operation} of '{Key}' on {Store} failed after {Attempt} attempt(s) in {ElapsedMs} ms; giving up")]
    public static partial void GivingUp(ILogger logger, Exception exception, string operation, string? key, string store, int attempt, long elapsedMs);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Error,
        Message = "Put of '{Key}' on {Store} failed after part of its non-seekable stream was consumed; it cannot be retried here")]
    public static partial void CannotRewind(ILogger logger, Exception exception, string key, string store);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Information,
        Message = "{Operation} of '{Key}' on {Store} has waited {WaitedMs} ms (threshold {ThresholdMs} ms); sending a second request")]
    public static partial void Hedging(ILogger logger, string operation, string key, string store, long waitedMs, long thresholdMs);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Debug,
        Message = "{Operation} of '{Key}' on {Store}: the {Winner} request answered first, {ElapsedMs} ms after the first was sent; the others are cancelled")]
    public static partial void HedgeSettled(ILogger logger, string operation, string key, string store, string winner, long elapsedMs);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Information,
        Message = "Read of '{Key}' on {Store} stalled at byte {Offset} for {WaitedMs} ms (threshold {ThresholdMs} ms); requesting the rest again")]
    public static partial void HedgingRead(ILogger logger, string key, string store, long offset, long waitedMs, long thresholdMs);

    [LoggerMessage(EventId = 2107, Level = LogLevel.Debug,
        Message = "Read of '{Key}' on {Store} at byte {Offset}: the {Winner} request answered first")]
    public static partial void ReadHedgeSettled(ILogger logger, string key, string store, long offset, string winner);

    [LoggerMessage(EventId = 2108, Level = LogLevel.Warning,
        Message = "Put of '{Key}' on {Store}: {Cut} hedged attempt(s) ended before sending the whole body, which a server that writes in place may have stored; putting it again, unhedged")]
    public static partial void RePuttingAfterCut(ILogger logger, string key, string store, int cut);

    [LoggerMessage(EventId = 2109, Level = LogLevel.Warning,
        Message = "Put of '{Key}' on {Store}: the stored object is {Found} after a hedged put, not {Expected} bytes; putting it again, unhedged")]
    public static partial void RePuttingAfterCheck(ILogger logger, string key, string store, string found, long expected);
}
