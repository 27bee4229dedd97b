using System.Diagnostics;
using DrOrchestrator.Catalog;

namespace DrOrchestrator.Orchestration.Runs;

/// <summary>
/// Tells whether the process of a run the catalog lists as running still exists. On this host
/// the answer is exact: the pid must exist and have started when the run's process did (a pid is
/// reused). A run of another host (a cluster node) cannot be asked; it is taken as gone once its
/// heartbeat is <see cref="OtherHostSilence"/> old — ten missed beats, far more than a busy node's
/// catalog writes ever lag.
/// </summary>
public static class ProcessLiveness
{
    /// <summary>Silence after which a run of another host (or of a row without a process) counts as gone.</summary>
    public static readonly TimeSpan OtherHostSilence = CatalogStore.HeartbeatInterval * 10;

    // Start times are read from /proc in clock ticks and stored at microsecond precision.
    private static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(1);

    /// <summary>Null when the run's process may still be alive; else why it is taken as gone.</summary>
    public static string? WhyGone(RunningRun run, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Process is { } process && process.Host == Environment.MachineName)
        {
            return IsAlive(process) ? null : $"its process {process.ProcessId} on {process.Host} is gone";
        }

        var silence = now - run.LastSeen;
        return silence < OtherHostSilence
            ? null
            : $"{(run.Process is null ? "no process is recorded for it" : $"its process {run.Process.ProcessId} on {run.Process.Host}")} and it has not been seen for {silence.TotalMinutes:0} minutes";
    }

    private static bool IsAlive(RunProcess process) => IsRunning(process.ProcessId, process.StartedAt);

    /// <summary>True when a process of this host with <paramref name="processId"/> exists and started at <paramref name="startedAt"/> (a reused pid does not count).</summary>
    public static bool IsRunning(int processId, DateTimeOffset startedAt)
    {
        try
        {
            using var candidate = Process.GetProcessById(processId);
            return !candidate.HasExited
                && (candidate.StartTime.ToUniversalTime() - startedAt.UtcDateTime).Duration() <= StartTimeTolerance;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false; // no such process (or it exited while we looked)
        }
    }
}
