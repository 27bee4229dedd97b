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
    /// The raw COPY stream returns one row per read (one protocol message); this fills the
    /// caller's buffer from many, so the chunker reads in large blocks, and hashes the rows as
    /// they pass (the fingerprint of the stream stored, at no extra read).
    /// </summary>
    private sealed class FillingStream(Stream inner, CopyRowHasher? hasher) : Stream
    {
        private const int MinimumFill = 64 * 1024;

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
}
