using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Replication;

/// <summary>
/// Replication cannot run at all between these two stores (no repository at the source, or the
/// destination holds a different one). Nothing was written when this is thrown.
/// </summary>
public sealed class ReplicationException : RepositoryException
{
    public ReplicationException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
