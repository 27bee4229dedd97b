namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>
/// A progress sample of a running backup, restore or data check, independent of the engines'
/// types: <paramref name="Files"/> counts files (packs for a check), <paramref name="Current"/>
/// is the file (or pack) being worked on.
/// </summary>
public readonly record struct ProgressSample(long Files, long Bytes, long? TotalBytes, string? Current = null);

/// <summary>Maps an engine's progress type to <see cref="ProgressSample"/>.</summary>
internal sealed class ProgressSampleAdapter<T>(IProgress<ProgressSample> inner, Func<T, ProgressSample> map) : IProgress<T>
{
    public void Report(T value) => inner.Report(map(value));

    public static ProgressSampleAdapter<T>? Wrap(IProgress<ProgressSample>? inner, Func<T, ProgressSample> map) =>
        inner is null ? null : new ProgressSampleAdapter<T>(inner, map);
}
