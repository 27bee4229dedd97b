namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>Why a <see cref="FallbackObjectStore"/> passed over one copy of an object.</summary>
public enum ReadFallbackReason
{
    /// <summary>The source does not have the object (e.g. a replica that lags).</summary>
    NotFound,

    /// <summary>The source failed (unreachable, throttled, I/O error).</summary>
    Error,

    /// <summary>The pack's bytes do not hash to the SHA-256 its key names.</summary>
    ChecksumMismatch,

    /// <summary>The object's bytes failed the reader's own check (authentication tag, format, content hash).</summary>
    BadContent,

    /// <summary>The caller reported the data it read from this source as corrupt (<see cref="FallbackObjectStore.ReportCorrupt"/>).</summary>
    ReportedCorrupt,
}

/// <summary>One bad or missing copy met while reading; <see cref="ToString"/> is "&lt;store&gt;: &lt;key&gt;: &lt;detail&gt;".</summary>
/// <param name="Store">The <see cref="IObjectStore.Description"/> of the source.</param>
/// <param name="Key">The object key.</param>
/// <param name="Reason">The kind of problem.</param>
/// <param name="Detail">One line describing it.</param>
public sealed record ReadFallbackEvent(string Store, string Key, ReadFallbackReason Reason, string Detail)
{
    public override string ToString() => $"{Store}: {Key}: {Detail}";
}

/// <summary>How a <see cref="FallbackObjectStore"/> currently rates one of its sources.</summary>
/// <param name="Store">The source's description.</param>
/// <param name="RecentFailures">Failures within the penalty window.</param>
/// <param name="AverageLatency">Moving average of successful reads, null before the first.</param>
public sealed record FallbackSourceStatus(string Store, int RecentFailures, TimeSpan? AverageLatency);
