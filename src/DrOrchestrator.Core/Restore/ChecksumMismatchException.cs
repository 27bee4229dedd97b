using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Restore;

/// <summary>A restored file's recomputed SHA-256 differs from the one recorded at backup time.</summary>
public sealed class ChecksumMismatchException : RepositoryException
{
    public ChecksumMismatchException(string path, string expectedSha256, string actualSha256)
        : base($"checksum mismatch restoring {path}: expected SHA-256 {expectedSha256}, got {actualSha256}")
    {
        Path = path;
        ExpectedSha256 = expectedSha256;
        ActualSha256 = actualSha256;
    }

    /// <summary>The file's path on disk (under the destination).</summary>
    public string Path { get; }

    public string ExpectedSha256 { get; }

    public string ActualSha256 { get; }
}

/// <summary>Restore refused before writing anything (non-empty destination, unsafe name in the snapshot).</summary>
public sealed class RestoreRefusedException : RepositoryException
{
    public RestoreRefusedException(string message)
        : base(message)
    {
    }
}
