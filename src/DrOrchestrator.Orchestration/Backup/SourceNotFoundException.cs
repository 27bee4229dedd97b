namespace DrOrchestrator.Orchestration.Backup;

/// <summary>A source path of the policy does not exist; the run was refused before anything was written.</summary>
public sealed class SourceNotFoundException : Exception
{
    public SourceNotFoundException(string policy, IReadOnlyList<string> paths)
        : base($"source {string.Join(", ", paths)} of policy '{policy}' does not exist (not mounted? moved?); nothing was backed up")
    {
        Policy = policy;
        Paths = paths;
    }

    public string Policy { get; }

    public IReadOnlyList<string> Paths { get; }
}
