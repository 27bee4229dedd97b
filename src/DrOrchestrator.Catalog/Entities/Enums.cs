namespace DrOrchestrator.Catalog;

// Stored as lower-case text ("running", "present"): readable in a SQL shell and stable when
// members are reordered.

/// <summary>What a run does.</summary>
public enum RunKind
{
    Backup,
    Copy,
    Drill,
    Restore,
    Prune,
    Check,

    /// <summary>The orchestrator's own backup to one target (docs/decisions.md §58).</summary>
    SystemBackup,
}

/// <summary>How a run ended (or that it has not yet).</summary>
public enum RunStatus
{
    Running,
    Succeeded,

    /// <summary>Finished with warnings or some replicas failing; data is safe on enough primaries.</summary>
    Degraded,
    Failed,

    /// <summary>Its process died (killed, power cut) before it finished; found and marked by the next command.</summary>
    Interrupted,

    /// <summary>Stopped on request (API cancel) before it committed anything.</summary>
    Cancelled,
}

/// <summary>What a snapshot holds.</summary>
public enum SnapshotKind
{
    Files,
    Db,
}

/// <summary>State of a snapshot on one target.</summary>
public enum PresenceStatus
{
    Present,
    Missing,
    Copying,
}

/// <summary>What a recorded policy change did.</summary>
public enum PolicyChangeKind
{
    Created,
    Updated,
    Deleted,
}

/// <summary>What became of a scheduled fire.</summary>
public enum FireStatus
{
    /// <summary>Work was enqueued for it and has not finished.</summary>
    Enqueued,

    /// <summary>Its work finished (whatever the run's own status: see the run).</summary>
    Done,

    /// <summary>It fired later than the grace allows (or while the service was down) and was skipped.</summary>
    Missed,

    /// <summary>Its work was stopped by a shutdown and must run again.</summary>
    Interrupted,
}

/// <summary>How a restore drill ended.</summary>
public enum DrillOutcome
{
    /// <summary>Everything restored and verified within the policy's RTO.</summary>
    Passed,

    /// <summary>Something could not be restored or did not verify.</summary>
    Failed,

    /// <summary>Everything verified, but it took longer than the policy's RTO target.</summary>
    PassedOverRto,
}
