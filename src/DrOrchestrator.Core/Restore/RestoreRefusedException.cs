using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Restore;

/// <summary>Restore refused before writing anything (non-empty destination, unsafe name in the snapshot).</summary>
public sealed class RestoreRefusedException : RepositoryException
{
    public RestoreRefusedException(string message)
        : base(message)
    {
    }
}
