namespace DrOrchestrator.Orchestration.Monitoring;

/// <summary>
/// Whether this process is the one that sends alerts. Every node of a cluster runs the watchdog
/// (each serves its own status page and metrics), but an alert must leave the cluster once: the
/// node holding the lease alerts, the others only compute. A node that dies loses the lease with
/// its catalog session and the next pass of another node takes it over; like a restart, the new
/// holder adopts the runs already recorded and re-sends a breach that is still open (at most one
/// repeat per failover, rather than a breach nobody reports).
/// </summary>
public interface IAlertingLease
{
    /// <summary>True when this process holds the lease (taking it when it is free).</summary>
    ValueTask<bool> HoldAsync(CancellationToken cancellationToken);
}

/// <summary>One process, one watchdog: it always alerts.</summary>
internal sealed class SingleProcessAlertingLease : IAlertingLease
{
    public ValueTask<bool> HoldAsync(CancellationToken cancellationToken) => ValueTask.FromResult(true);
}
