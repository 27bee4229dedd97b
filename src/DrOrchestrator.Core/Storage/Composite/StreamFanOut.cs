namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>
/// Gives each of several parallel puts its own reader over one source stream, so the source is
/// read once per member and never buffered whole in memory:
/// a <see cref="FileStream"/> is reopened by name (one extra handle per member), a
/// <see cref="MemoryStream"/> shares its buffer, anything else is spooled to a temp file first.
/// </summary>
internal sealed class StreamFanOut : IAsyncDisposable
{
    private readonly Stream? _single;
    private readonly ArraySegment<byte> _memory;
    private readonly string? _path;
    private readonly long _position;
    private readonly FileStream? _spool;

    private StreamFanOut(Stream? single, ArraySegment<byte> memory, string? path, long position, FileStream? spool, long? length = null)
    {
        _single = single;
        _memory = memory;
        _path = path;
        _position = position;
        _spool = spool;
        Length = length;
    }

    /// <summary>The bytes each reader yields, where known when shared (<see cref="TryShare"/>); else null.</summary>
    public long? Length { get; }

    /// <summary>Prepares <paramref name="content"/> (from its current position) for <paramref name="readers"/> readers.</summary>
    public static async Task<StreamFanOut> PrepareAsync(Stream content, int readers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (readers <= 1)
        {
            return new StreamFanOut(content, default, null, 0, null);
        }

        if (TryShare(content) is { } shared)
        {
            return shared;
        }

        var spool = TempSpool.Create();
        try
        {
            await content.CopyToAsync(spool, cancellationToken).ConfigureAwait(false);
            await spool.FlushAsync(cancellationToken).ConfigureAwait(false);
            return new StreamFanOut(null, default, spool.Name, 0, spool);
        }
        catch
        {
            await spool.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A fan-out over <paramref name="content"/> (from its current position) when it can be read
    /// several times without copying it — a memory buffer, or a file reopened by name — else null.
    /// </summary>
    public static StreamFanOut? TryShare(Stream content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content is MemoryStream memory && memory.TryGetBuffer(out var buffer))
        {
            var start = (int)Math.Min(memory.Position, buffer.Count);
            return new StreamFanOut(null, buffer[start..], null, 0, null, buffer.Count - start);
        }

        return content is FileStream file && file.CanSeek && CanReopen(file)
            ? new StreamFanOut(null, default, file.Name, file.Position, null, file.Length - file.Position)
            : null;
    }

    /// <summary>Runs <paramref name="consumer"/> with a fresh reader and disposes the reader afterwards (never the caller's stream).</summary>
    public async Task ReadWithAsync(Func<Stream, Task> consumer)
    {
        if (_single is not null)
        {
            await consumer(_single).ConfigureAwait(false);
            return;
        }

        var reader = _path is null
            ? new MemoryStream(_memory.Array!, _memory.Offset, _memory.Count, writable: false)
            : (Stream)TempSpool.OpenReader(_path, _position);
        await using (reader.ConfigureAwait(false))
        {
            await consumer(reader).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => _spool?.DisposeAsync() ?? ValueTask.CompletedTask;

    private static bool CanReopen(FileStream file)
    {
        try
        {
            // Bytes still in the writer's buffer must reach the file before others read it by name.
            if (file.CanWrite)
            {
                file.Flush();
            }

            using var probe = TempSpool.OpenReader(file.Name, 0);
            return probe.Length >= file.Position;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // Unlinked, renamed or special files (pipes): fall back to spooling the content.
            return false;
        }
    }
}
