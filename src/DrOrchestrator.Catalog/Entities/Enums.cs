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
