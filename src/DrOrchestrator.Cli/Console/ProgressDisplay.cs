using DrOrchestrator.Orchestration.Contracts;

namespace DrOrchestrator.Cli.Console;

/// <summary>
/// The figures of a progress line: bytes done of the total, a rate smoothed over the last few
/// seconds (so the remaining time does not swing with each file), and the file being worked on.
/// Thread-safe: engines report from several threads.
/// </summary>
public sealed class ProgressDisplay
{
    /// <summary>The rate follows a change within a few seconds, and one slow file does not throw it.</summary>
    public static readonly TimeSpan Smoothing = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private readonly string _unit;
    private long _lastBytes;
    private double _lastSeconds;
    private double _rate = double.NaN;

    /// <param name="unit">What the sample's Files counts, singular ("file", "pack").</param>
    public ProgressDisplay(string unit = "file")
    {
        _unit = unit;
    }

    public ProgressSample Last { get; private set; }

    /// <summary>Bytes per second, smoothed; NaN until two samples are apart in time.</summary>
    public double Rate
    {
        get
        {
            lock (_gate)
            {
                return _rate;
            }
        }
    }

    /// <summary>Takes a sample seen at <paramref name="seconds"/> since the start.</summary>
    public void Add(ProgressSample sample, double seconds)
    {
        lock (_gate)
        {
            var elapsed = seconds - _lastSeconds;
            if (elapsed > 0.05 && sample.Bytes >= _lastBytes)
            {
                var instant = (sample.Bytes - _lastBytes) / elapsed;
                var weight = 1 - Math.Exp(-elapsed / Smoothing.TotalSeconds);
                _rate = double.IsNaN(_rate) ? instant : _rate + (weight * (instant - _rate));
                _lastBytes = sample.Bytes;
                _lastSeconds = seconds;
            }

            Last = sample;
        }
    }

    /// <summary>"1.2 GiB of 2.0 GiB, 1,024 files, 143.1 MiB/s, 6.00 s left, etc/passwd" (parts that are unknown are left out).</summary>
    public string Describe(int maxCurrentLength = 60)
    {
        lock (_gate)
        {
            var sample = Last;
            var parts = new List<string>
            {
                sample.TotalBytes is > 0 and var total ? $"{Format.Bytes(sample.Bytes)} of {Format.Bytes(total)}" : Format.Bytes(sample.Bytes),
                Format.Count(sample.Files, _unit),
            };
            if (!double.IsNaN(_rate))
            {
                parts.Add(Format.Bytes((long)_rate) + "/s");
                if (sample.TotalBytes is > 0 and var all && _rate > 1 && all > sample.Bytes)
                {
                    parts.Add(Format.Duration(TimeSpan.FromSeconds(Math.Min((all - sample.Bytes) / _rate, TimeSpan.FromDays(1).TotalSeconds))) + " left");
                }
            }

            if (sample.Current is { Length: > 0 } current)
            {
                parts.Add(current.Length <= maxCurrentLength ? current : "…" + current[^(maxCurrentLength - 1)..]);
            }

            return string.Join(", ", parts);
        }
    }
}
