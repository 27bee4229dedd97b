using System.Buffers;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// Splits a stream into chunks with large sequential reads into one reusable buffer
/// (2 × max chunk size, from a pool). Yields each chunk as a span valid until the next call.
/// The buffer is rented on the first <see cref="Reset"/>: a re-backup that finds every file
/// unchanged opens none, and should not hold 8 MiB per reader for nothing.
/// </summary>
internal sealed class ChunkReader : IDisposable
{
    private readonly Chunker _chunker;
    private readonly ArrayPool<byte> _pool;
    private byte[] _buffer = [];
    private Stream? _stream;
    private int _start;
    private int _end;
    private bool _eof;

    public ChunkReader(Chunker chunker, ArrayPool<byte> pool)
    {
        _chunker = chunker;
        _pool = pool;
    }

    /// <summary>Bytes read from the current stream so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>True when the stream is exhausted and every buffered byte has been returned.</summary>
    public bool AtEnd => _eof && _start == _end;

    public void Reset(Stream stream)
    {
        if (_buffer.Length == 0)
        {
            _buffer = _pool.Rent(_chunker.MaxSize * 2);
        }

        _stream = stream;
        _start = 0;
        _end = 0;
        _eof = false;
        BytesRead = 0;
    }

    /// <summary>The next chunk, or an empty memory at the end of the stream.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> NextAsync(CancellationToken ct)
    {
        if (_end - _start < _chunker.MaxSize && !_eof)
        {
            await FillAsync(ct).ConfigureAwait(false);
        }

        if (_end == _start)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var length = _chunker.NextBoundary(_buffer.AsSpan(_start, _end - _start));
        var chunk = new ReadOnlyMemory<byte>(_buffer, _start, length);
        _start += length;
        return chunk;
    }

    private async ValueTask FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        while (_end < _buffer.Length)
        {
            // Files are read synchronously: the readers are dedicated to it, and an async read on a
            // non-async FileStream costs two thread-pool hops per call (noticeable on small files).
            var read = _stream is FileStream
                ? _stream.Read(_buffer, _end, _buffer.Length - _end)
                : await _stream!.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (read == 0)
            {
                _eof = true;
                return;
            }

            _end += read;
            BytesRead += read;
        }
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            _pool.Return(_buffer);
            _buffer = [];
        }
    }
}
