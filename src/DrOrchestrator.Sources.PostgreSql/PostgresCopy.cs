using System.Threading.Channels;
using DrOrchestrator.Core.Sources;
using Npgsql;

namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>
/// Table rows as <c>COPY</c> text, out of the source and into the restored database, as raw bytes:
/// no decoding into .NET strings and back (the bytes are UTF-8 on both sides: Npgsql always sets
/// <c>client_encoding</c> to UTF8).
/// </summary>
internal static class PostgresCopy
{
    /// <summary>
    /// Every connection that dumps, restores or verifies sets these. The COPY text (the stored
    /// dump and, since §65, the fingerprint's input) depends on the settings of
    /// <see cref="PostgresFingerprint.CopyTextSettings"/>; pg_dump sets the same for its own COPY.
    /// <c>synchronize_seqscans = off</c>: a COPY must read its table from block 0 (not join another
    /// scan midway), so a restore writes rows in the source's physical order and a pg_dump of it
    /// equals one of the source. <c>row_security = off</c>: a table whose policies would hide rows
    /// fails the backup instead of being dumped partially (as pg_dump).
    /// </summary>
    public const string SessionSettings = PostgresFingerprint.CopyTextSettings + OtherSettings;

    /// <summary>
    /// The settings of a restore of a snapshot with the <see cref="PostgresFingerprint.ServerSide"/>
    /// fingerprint (taken before §65, whose COPY text was written under the server's own money
    /// format and search path): as they were then.
    /// </summary>
    public const string ServerSideFingerprintSettings = PostgresFingerprint.SessionSettings + OtherSettings;

    private const string OtherSettings =
        "; SET synchronize_seqscans = off; SET row_security = off; SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0";

    /// <summary>
    /// The rows of <paramref name="what"/> (a quoted <c>schema.table</c> or a parenthesized query)
    /// as COPY text; dispose to end the COPY. Every byte read is also given to <paramref name="hasher"/>.
    /// </summary>
    public static async Task<(IDisposable Copy, Stream Rows)> OpenExportAsync(NpgsqlConnection connection, string what, CopyRowHasher? hasher, CancellationToken ct)
    {
        var reader = await connection.BeginTextExportAsync($"COPY {what} TO STDOUT", ct).ConfigureAwait(false);
        // The reader is a StreamReader over the raw COPY stream; the raw bytes are what we store.
        return (reader, new FillingStream(((StreamReader)reader).BaseStream, hasher));
    }

    /// <summary>
    /// A COPY stream expected to be larger than this is read through <c>psql</c> (§70): Npgsql hands
    /// over one protocol message — one row — per read, ~0.3–0.5 µs of the client's CPU per row, where
    /// psql (libpq) writes the same bytes to a pipe in large blocks at a third of that. Below it the
    /// start of a process (and its login) costs more than it saves, and the connection's own COPY is used.
    /// </summary>
    public const long ClientToolBytes = 8L << 20;

    /// <summary>
    /// <c>COPY <paramref name="what"/> TO STDOUT</c> run by <c>psql</c> (<see cref="ClientToolBytes"/>)
    /// with <see cref="SessionSettings"/>; inside the exported <paramref name="snapshot"/> when one is
    /// given (a backup), else autocommit (a restore's verification). The bytes are the server's COPY
    /// text unchanged (psql writes each CopyData message verbatim), so they and their hash are the
    /// same as through Npgsql. Every byte read is also given to <paramref name="hasher"/>. The
    /// caller reads the stream to its end, then calls <see cref="ToolProcess.WaitForSuccessAsync"/>:
    /// only the exit code tells a COPY that failed midway from a complete one. Dispose the stream
    /// before the tool, and kill the tool when the caller is cancelled (<see cref="ToolProcess.Kill"/>).
    /// </summary>
    public static (ToolProcess Tool, Stream Rows) StartToolExport(
        string psql, PostgresEndpoint endpoint, string database, string? snapshot, string what, CopyRowHasher? hasher)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        List<string> commands = [SessionSettings];
        if (snapshot is not null)
        {
            commands.Add("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            commands.Add($"SET TRANSACTION SNAPSHOT '{snapshot}'");
        }

        commands.Add($"COPY {what} TO STDOUT");
        if (snapshot is not null)
        {
            commands.Add("COMMIT");
        }

        var tool = ToolProcess.Start(
            psql,
            [.. endpoint.ToolArguments(database), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", .. commands.Select(c => "--command=" + c)],
            endpoint.ToolEnvironment(),
            endpoint.Secrets());
        return (tool, new PumpedStream(tool.Output, hasher));
    }

    /// <summary>Loads COPY text from <paramref name="rows"/> into <paramref name="table"/>; an exception (also from <paramref name="rows"/>) cancels the COPY.</summary>
    public static async Task<long> ImportAsync(NpgsqlConnection connection, string table, Stream rows, CancellationToken ct)
    {
        var writer = await connection.BeginTextImportAsync($"COPY {table} FROM STDIN", ct).ConfigureAwait(false);
        try
        {
            var raw = ((StreamWriter)writer).BaseStream;
            await rows.CopyToAsync(raw, 1 << 20, ct).ConfigureAwait(false);
        }
        catch
        {
            try
            {
                await ((NpgsqlCopyTextWriter)writer).CancelAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or IOException or OperationCanceledException or InvalidOperationException)
            {
                // The COPY's own failure is the one to report.
            }

            try
            {
                await writer.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or IOException or OperationCanceledException or InvalidOperationException)
            {
                // As above.
            }

            throw;
        }

        // Ends the COPY: the server checks and commits the rows now, and reports a bad row here.
        await writer.DisposeAsync().ConfigureAwait(false);
        return rows.Position;
    }

    /// <summary>
    /// The raw COPY stream returns one row per read (one protocol message), a pipe at most its
    /// buffer; this fills the caller's buffer from many reads, so the chunker reads in large blocks,
    /// and hashes the rows as they pass (the fingerprint of the stream stored, at no extra read).
    /// </summary>
    private sealed class FillingStream(Stream inner, CopyRowHasher? hasher) : Stream
    {
        private const int MinimumFill = 256 * 1024;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int total = 0;
            while (total < buffer.Length && total < MinimumFill)
            {
                var n = inner.Read(buffer[total..]);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }

            hasher?.Append(buffer[..total]);
            return total;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int total = 0;
            while (total < buffer.Length && total < MinimumFill)
            {
                var n = await inner.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }

            hasher?.Append(buffer.Span[..total]);
            return total;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>
    /// A tool's output (psql's COPY text, §70) read by a thread of its own with blocking reads and
    /// handed over in blocks of up to 1 MiB, hashed on that thread as they pass. Why not an async
    /// read of the pipe: it costs a wake-up and a thread-pool hop per write of psql (8 KiB), about
    /// 0.3 CPU-s per 96 MB against 0.08 for blocking reads (measured); and why not blocking reads
    /// on the caller's thread: that is a thread-pool thread, and two or more streams blocking them
    /// starve the chunk workers of the repository writer (seen: one of two equal ranges took twice
    /// as long). Dispose it (and kill the tool) to end the thread.
    /// </summary>
    private sealed class PumpedStream : Stream
    {
        private const int BlockSize = 1 << 20;
        private const int MinimumFill = 256 * 1024;
        private readonly Stream _inner;
        private readonly CopyRowHasher? _hasher;
        private readonly Channel<(byte[] Block, int Length)> _blocks = Channel.CreateBounded<(byte[] Block, int Length)>(
            new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        private readonly CancellationTokenSource _disposed = new();
        private byte[]? _current;
        private int _offset;
        private int _length;

        public PumpedStream(Stream inner, CopyRowHasher? hasher)
        {
            _inner = inner;
            _hasher = hasher;
            new Thread(Pump) { IsBackground = true, Name = "drorch copy reader" }.Start();
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer) => throw new NotSupportedException("read it asynchronously");

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_current is null || _offset == _length)
            {
                ReturnCurrent();
                if (!await _blocks.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    // The end of the tool's output (or the read's failure, thrown by WaitToReadAsync).
                    return 0;
                }

                (_current, _length) = await _blocks.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                _offset = 0;
            }

            var n = Math.Min(buffer.Length, _length - _offset);
            _current.AsSpan(_offset, n).CopyTo(buffer.Span);
            _offset += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed.IsCancellationRequested)
            {
                _disposed.Cancel();
                ReturnCurrent();
                while (_blocks.Reader.TryRead(out var left))
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(left.Block);
                }
            }

            base.Dispose(disposing);
        }

        private void ReturnCurrent()
        {
            if (_current is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(_current);
                _current = null;
            }
        }

        private void Pump()
        {
            try
            {
                while (true)
                {
                    var block = System.Buffers.ArrayPool<byte>.Shared.Rent(BlockSize);
                    int total = 0;
                    while (total < MinimumFill)
                    {
                        var n = _inner.Read(block, total, block.Length - total);
                        if (n == 0)
                        {
                            break;
                        }

                        total += n;
                    }

                    if (total == 0)
                    {
                        System.Buffers.ArrayPool<byte>.Shared.Return(block);
                        _blocks.Writer.TryComplete();
                        return;
                    }

                    _hasher?.Append(block.AsSpan(0, total));
                    try
                    {
                        // A thread of its own: waiting here for the reader to take a block blocks nothing else.
                        _blocks.Writer.WriteAsync((block, total), _disposed.Token).AsTask().GetAwaiter().GetResult();
                    }
                    catch
                    {
                        System.Buffers.ArrayPool<byte>.Shared.Return(block);
                        throw;
                    }
                }
            }
            catch (Exception e)
            {
                // Disposed (the reader is gone) or the pipe failed: the reader sees the failure, if it still reads.
                _blocks.Writer.TryComplete(e);
            }
        }
    }
}
