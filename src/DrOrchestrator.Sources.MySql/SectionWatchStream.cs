using System.Text;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Sources.MySql;

/// <summary>
/// Passes a dump stream through unchanged and completes <see cref="FirstSection"/> when the first
/// of some markers (ASCII) appears in it, or when <see cref="Finish"/> is called. Only the last
/// marker-length bytes are kept between reads, so memory stays bounded.
/// </summary>
internal sealed class SectionWatchStream(Stream inner, IReadOnlyList<string> markers) : ForwardReadStream
{
    private readonly byte[][] _markers = [.. markers.Select(Encoding.ASCII.GetBytes)];
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[] _tail = [];

    public Task FirstSection => _first.Task;

    public void Finish() => _first.TrySetResult();

    public override int Read(Span<byte> buffer) => Watch(buffer[..inner.Read(buffer)]);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Watch(buffer.Span[..n]);
    }

    private int Watch(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0)
        {
            Finish();
            return 0;
        }

        if (_first.Task.IsCompleted)
        {
            return data.Length;
        }

        var window = new byte[_tail.Length + data.Length];
        _tail.CopyTo(window, 0);
        data.CopyTo(window.AsSpan(_tail.Length));
        if (_markers.Any(m => window.AsSpan().IndexOf(m) >= 0))
        {
            Finish();
        }

        var keep = Math.Min(window.Length, _markers.Max(m => m.Length));
        _tail = window[^keep..];
        return data.Length;
    }
}
