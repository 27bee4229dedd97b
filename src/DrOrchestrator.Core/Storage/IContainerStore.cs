namespace DrOrchestrator.Core.Storage;

/// <summary>
/// A store that lives in a container of its own (an S3 bucket, an Azure blob container, a local
/// folder) which must exist before the first object is written: `drorch target init` creates it.
/// </summary>
public interface IContainerStore
{
    /// <summary>Creates the container unless it exists; true when it was created now.</summary>
    Task<bool> CreateContainerAsync(CancellationToken cancellationToken);
}
