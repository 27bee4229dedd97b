using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Core.Prune;

/// <summary>
/// Logs how long each phase of a prune took, in wall time and in CPU time of the whole process
/// (event 2904, Debug: `--verbose` or <c>Logging:LogLevel:DrOrchestrator.Core.Prune</c>). This is
/// how the profile behind docs/decisions.md §62 was taken; a prune that got slow says where.
/// </summary>
internal sealed class PhaseTimer(ILogger logger, string store)
{
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;

    public void Lap(string phase)
    {
        if (!logger.IsEnabled(LogLevel.Debug))
        {
            return;
        }

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        Log.PrunePhase(logger, store, phase, _wall.ElapsedMilliseconds, (long)(cpu - _cpu).TotalMilliseconds, Environment.WorkingSet / (1024 * 1024));
        _cpu = cpu;
        _wall.Restart();
    }
}
