using System.Text;

namespace DrOrchestrator.Sources.MySql;

/// <summary>
/// Passes a dump stream through unchanged and completes <see cref="FirstSection"/> when the first
/// of some markers (ASCII) appears in it, or when <see cref="Finish"/> is called. Only the last
/// marker-length bytes are kept between reads, so memory stays bounded.
/// </summary>
internal sealed class SectionWatchStream(Stream inner, IReadOnlyList<string> markers) : Stream
{
    private readonly byte[][] _markers = [.. markers.Select(Encoding.ASCII.GetBytes)];
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[] _tail = [];

    public Task FirstSection => _first.Task;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public void Finish() => _first.TrySetResult();

    public override int Read(byte[] buffer, int offset, int count) => Watch(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Watch(buffer.Span[..n]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

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

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
