namespace DrOrchestrator.Core.Storage;

/// <summary>
/// A store whose writes go through staging files it can list: the litter a killed process leaves
/// (a staging file is never listed as an object, so nothing else would ever show it). Found the
/// same way as the staging capability (<see cref="ObjectStaging.Find"/>).
/// </summary>
public interface IStagingInventory
{
    /// <summary>Every staging file in the store now: a live write's, or one a killed process left.</summary>
    IReadOnlyList<StagingFile> ListStagingFiles();
}

/// <param name="Name">Path relative to the store's root, with '/' separators.</param>
/// <param name="Size">Bytes on disk (logical length).</param>
/// <param name="LastWritten">Last modification; a live write keeps this recent.</param>
public sealed record StagingFile(string Name, long Size, DateTimeOffset LastWritten);
