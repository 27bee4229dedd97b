namespace DrOrchestrator.Core.Check;

public enum CheckSeverity
{
    /// <summary>Not a problem, worth knowing (e.g. an unreferenced pack left by an interrupted backup).</summary>
    Info,

    /// <summary>Suspicious but no data lost.</summary>
    Warning,

    /// <summary>Data is missing or damaged; some restore will fail.</summary>
    Error,
}

/// <param name="ObjectKey">The store key concerned (pack, index, snapshot), if any.</param>
/// <param name="AffectedFiles">Snapshot-relative paths ("snapshotShortId:path") of files whose data is affected.</param>
public sealed record CheckFinding(CheckSeverity Severity, string? ObjectKey, string Message, IReadOnlyList<string> AffectedFiles)
{
    public override string ToString() =>
        $"{Severity.ToString().ToLowerInvariant()}: {(ObjectKey is null ? "" : ObjectKey + ": ")}{Message}"
        + (AffectedFiles.Count == 0 ? "" : $" (affects {string.Join(", ", AffectedFiles)})");
}

/// <param name="ReadData">Also download every pack, verify its hash and decrypt + re-hash every blob.</param>
public sealed record CheckOptions(bool ReadData)
{
    /// <summary>With <see cref="ReadData"/>: packs and bytes read so far, at most every 250 ms.</summary>
    public IProgress<CheckProgress>? Progress { get; init; }
}

/// <summary>Progress of reading the data of a check: packs and bytes downloaded and verified so far.</summary>
public sealed record CheckProgress(long PacksDone, long BytesDone, long TotalPacks, long TotalBytes, string? CurrentPack);
