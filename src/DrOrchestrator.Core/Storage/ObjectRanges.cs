namespace DrOrchestrator.Core.Storage;

/// <summary>Range handling shared by the backends, so that every one validates and clamps alike.</summary>
public static class ObjectRanges
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the key for a negative offset or length.</summary>
    public static void Validate(string key, ByteRange? range)
    {
        if (range is { } r && (r.Offset < 0 || r.Length < 0))
        {
            throw new ArgumentOutOfRangeException(nameof(range), $"Invalid range {r.Offset}+{r.Length} for '{key}'.");
        }
    }

    /// <summary>The inclusive last byte an HTTP Range header asks for, without overflowing (Length ≥ 1).</summary>
    public static long LastByte(ByteRange range) => range.Offset + Math.Min(range.Length, long.MaxValue - range.Offset) - 1;

    /// <summary>An empty stream, standing for a range clamped to nothing.</summary>
    public static Stream Empty() => new MemoryStream([], writable: false);

    /// <summary>
    /// The answer to a zero-length range, which HTTP cannot express: empty content when the object
    /// exists, <see cref="ObjectNotFoundException"/> when it does not.
    /// </summary>
    public static async Task<Stream> EmptyIfExistsAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return await store.StatAsync(key, cancellationToken).ConfigureAwait(false) is null
            ? throw new ObjectNotFoundException(store.Description, key)
            : Empty();
    }
}
