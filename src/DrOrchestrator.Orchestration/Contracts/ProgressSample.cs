namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>A progress sample of a running backup or restore, independent of the engines' types.</summary>
public readonly record struct ProgressSample(long Files, long Bytes, long? TotalBytes);

/// <summary>Maps an engine's progress type to <see cref="ProgressSample"/>.</summary>
internal sealed class ProgressSampleAdapter<T>(IProgress<ProgressSample> inner, Func<T, ProgressSample> map) : IProgress<T>
{
    public void Report(T value) => inner.Report(map(value));

    public static ProgressSampleAdapter<T>? Wrap(IProgress<ProgressSample>? inner, Func<T, ProgressSample> map) =>
        inner is null ? null : new ProgressSampleAdapter<T>(inner, map);
}
