namespace DrOrchestrator.Cli.Commands;

/// <summary>The exit codes scripts can rely on (part of the stable CLI contract).</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The operation ran and failed (target unreachable, checksum mismatch, check found errors…).</summary>
    public const int Failure = 1;

    /// <summary>Invalid input: bad policy file, unknown policy/target/snapshot, bad option value, bad configuration.</summary>
    public const int InvalidInput = 2;

    /// <summary>Interrupted (Ctrl+C / SIGTERM); nothing half-written is visible.</summary>
    public const int Cancelled = 130;
}
