using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Core.Prune;

/// <summary>Log messages of prune (event ids 2900–2999; see docs/event-ids.md).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2901, Level = LogLevel.Information,
        Message = "Prune of {Store}: {Forgotten} snapshot(s) forgotten, {Marked} pack(s) marked, {Repacked} repacked, {Deleted} deleted ({BytesDeleted} bytes), {Pending} mark(s) waiting for their grace period")]
    public static partial void PruneFinished(ILogger logger, string store, int forgotten, int marked, int repacked, int deleted, long bytesDeleted, int pending);

    [LoggerMessage(EventId = 2902, Level = LogLevel.Warning,
        Message = "Prune of {Store}: marked pack {Pack} is used by a snapshot written since it was marked; it is indexed again and kept")]
    public static partial void MarkedPackSpared(ILogger logger, string store, string pack);

    [LoggerMessage(EventId = 2903, Level = LogLevel.Debug,
        Message = "Prune of {Store}: packs that stay hold {UsedBytes} bytes used and {UnusedBytes} unused; {Unused} pack(s) wholly unused, {Candidates} partly, {Repack} of them to repack")]
    public static partial void PruneSpace(ILogger logger, string store, long usedBytes, long unusedBytes, int unused, int candidates, int repack);

    [LoggerMessage(EventId = 2904, Level = LogLevel.Debug,
        Message = "Prune of {Store}: {Phase} took {WallMs} ms wall, {CpuMs} ms CPU; working set {WorkingSetMiB} MiB")]
    public static partial void PrunePhase(ILogger logger, string store, string phase, long wallMs, long cpuMs, long workingSetMiB);
}
