using System.Buffers;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// The engine's pool for chunk-sized buffers. Power-of-two pools (ArrayPool.Create) keep up to N
/// arrays in *every* size class a run touches (512 KiB, 1, 2, 4, 8 MiB… for variable-size chunks),
/// which alone cost tens of MiB resident (docs/decisions.md §23). This pool keeps one free list and hands out the smallest
/// free array that is large enough, so the arrays it keeps converge to what is really in flight
/// (bounded by the pipelines' channels) and few new large arrays are made — new large arrays are
/// what fragments the large-object heap. What it keeps is capped. Requests under 64 KiB go to
/// <see cref="ArrayPool{T}.Shared"/>. Thread-safe; the free list is short (tens of arrays), so a
/// lock and a scan are cheap next to the megabytes each buffer carries.
/// </summary>
internal sealed class BufferPool : ArrayPool<byte>
{
    /// <summary>
    /// The engine's shared pool. 24 MiB kept: about what a backup has rented at once at its peak;
    /// every kept array beyond that is resident for nothing (a larger cap fills up with arrays of
    /// the wrong sizes), and keeping nothing costs gen2 collections (docs/decisions.md §23).
    /// </summary>
    public static readonly BufferPool Engine = new(maxRetainedBytes: 24L * 1024 * 1024);

    private const int SmallLimit = 64 * 1024;
    private const int Granularity = 64 * 1024;
    private readonly Lock _lock = new();
    private readonly List<byte[]> _free = [];
    private readonly long _maxRetained;
    private long _retained;

    public BufferPool(long maxRetainedBytes) => _maxRetained = maxRetainedBytes;

    public override byte[] Rent(int minimumLength)
    {
        if (minimumLength < SmallLimit)
        {
            return ArrayPool<byte>.Shared.Rent(minimumLength);
        }

        lock (_lock)
        {
            var best = -1;
            for (var i = 0; i < _free.Count; i++)
            {
                var length = _free[i].Length;
                if (length >= minimumLength && (best < 0 || length < _free[best].Length))
                {
                    best = i;
                }
            }

            if (best >= 0)
            {
                var array = _free[best];
                _free[best] = _free[^1];
                _free.RemoveAt(_free.Count - 1);
                _retained -= array.Length;
                return array;
            }
        }

        var rounded = (int)Math.Min(Array.MaxLength, ((long)minimumLength + Granularity - 1) / Granularity * Granularity);
        return GC.AllocateUninitializedArray<byte>(rounded);
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length < SmallLimit)
        {
            ArrayPool<byte>.Shared.Return(array, clearArray);
            return;
        }

        if (clearArray)
        {
            Array.Clear(array);
        }

        lock (_lock)
        {
            // Over the cap, drop the smallest kept arrays first: large ones are the costly ones to re-create.
            while (_retained + array.Length > _maxRetained && _free.Count > 0)
            {
                var smallest = 0;
                for (var i = 1; i < _free.Count; i++)
                {
                    smallest = _free[i].Length < _free[smallest].Length ? i : smallest;
                }

                if (_free[smallest].Length >= array.Length)
                {
                    return; // keep the pool as it is; let this one go to the GC
                }

                _retained -= _free[smallest].Length;
                _free[smallest] = _free[^1];
                _free.RemoveAt(_free.Count - 1);
            }

            if (_retained + array.Length <= _maxRetained)
            {
                _free.Add(array);
                _retained += array.Length;
            }
        }
    }
}
