using System.Diagnostics;

namespace DrOrchestrator.Catalog;

/// <summary>
/// The process that runs a run: host, pid and the process's start time. A pid alone is reused by
/// the operating system; a pid with its start time names one process for good.
/// </summary>
public sealed record RunProcess(string Host, int ProcessId, DateTimeOffset StartedAt)
{
    private static readonly Lazy<RunProcess> CurrentProcess = new(() =>
    {
        using var self = Process.GetCurrentProcess();
        return new RunProcess(Environment.MachineName, Environment.ProcessId, CatalogStore.Normalize(self.StartTime.ToUniversalTime()));
    });

    /// <summary>This process.</summary>
    public static RunProcess Current => CurrentProcess.Value;
}

/// <summary>A run the catalog still lists as running, with what tells whether its process lives.</summary>
public sealed record RunningRun(
    long Id,
    string? PolicyName,
    string? TargetName,
    RunKind Kind,
    DateTimeOffset StartedAt,
    RunProcess? Process,
    DateTimeOffset? HeartbeatAt)
{
    /// <summary>When the run last showed it was alive: its last heartbeat, else its start.</summary>
    public DateTimeOffset LastSeen => HeartbeatAt ?? StartedAt;
}
