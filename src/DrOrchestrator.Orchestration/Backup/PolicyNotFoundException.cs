namespace DrOrchestrator.Orchestration.Backup;

/// <summary>The named policy has not been applied to the catalog.</summary>
public sealed class PolicyNotFoundException : Exception
{
    public PolicyNotFoundException(string name)
        : base($"policy '{name}' is not in the catalog (apply it first: drorch policy apply FILE)")
    {
        Name = name;
    }

    public string Name { get; }
}
