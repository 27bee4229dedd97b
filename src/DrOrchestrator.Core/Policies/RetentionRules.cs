namespace DrOrchestrator.Core.Policies;

/// <summary>
/// restic-style "forget" rules: keep the newest N snapshots, plus the newest snapshot of each of
/// the last N days/weeks/months/years. 0 disables a rule. When every rule is 0
/// (<see cref="KeepsEverything"/>) prune deletes nothing — forgetting to write a retention block
/// must never delete backups.
/// </summary>
public sealed record RetentionRules(int KeepLast, int KeepDaily, int KeepWeekly, int KeepMonthly, int KeepYearly)
{
    /// <summary>No rule set: keep every snapshot.</summary>
    public static RetentionRules KeepAll { get; } = new(0, 0, 0, 0, 0);

    /// <summary>True when no rule is set, so prune must keep every snapshot.</summary>
    public bool KeepsEverything => KeepLast == 0 && KeepDaily == 0 && KeepWeekly == 0 && KeepMonthly == 0 && KeepYearly == 0;
}
