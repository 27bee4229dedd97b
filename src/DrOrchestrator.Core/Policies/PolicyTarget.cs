namespace DrOrchestrator.Core.Policies;

/// <summary>A target a policy writes to; <see cref="Name"/> refers to configuration <c>Targets:&lt;name&gt;</c>.</summary>
public sealed record PolicyTarget(string Name, TargetRole Role);

/// <summary>How a run treats a target.</summary>
public enum TargetRole
{
    /// <summary>Must hold the snapshot for the run to succeed.</summary>
    Primary,

    /// <summary>Receives an asynchronous copy; its lag is tracked separately.</summary>
    Replica,
}
