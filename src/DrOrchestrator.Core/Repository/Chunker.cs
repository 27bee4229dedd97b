using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// FastCDC content-defined chunking (Xia et al., 2016/2020) with normalized chunking:
/// a 64-bit gear hash <c>h = (h &lt;&lt; 1) + G[b]</c>, a stricter mask (log2(avg)+2 bits) before the
/// average size and a looser one (log2(avg)−2 bits) after it, which pulls sizes towards the average.
/// The masks test the hash's top bits, so a boundary depends on the last 64 bytes.
/// The first <c>min</c> bytes of a chunk are never hashed (that is where FastCDC gets its speed),
/// and the loop indexes the table through refs without bounds checks.
/// The gear table is derived from the repository's secret seed, so chunk sizes do not reveal
/// content to someone without the key. Stateless and thread-safe.
/// </summary>
internal sealed class Chunker
{
    private readonly ulong[] _gear;
    private readonly ulong _maskStrict;
    private readonly ulong _maskLoose;

    public Chunker(ChunkerParameters parameters)
    {
        MinSize = parameters.MinSize;
        AverageSize = parameters.AverageSize;
        MaxSize = parameters.MaxSize;
        var bits = BitOperations.Log2((uint)AverageSize);
        _maskStrict = TopBits(bits + 2);
        _maskLoose = TopBits(Math.Max(1, bits - 2));
        _gear = BuildGear(parameters.GearSeed);
    }

    public int MinSize { get; }

    public int AverageSize { get; }

    public int MaxSize { get; }

    /// <summary>
    /// Length of the next chunk at the start of <paramref name="data"/>. <paramref name="data"/> must
    /// hold at least <see cref="MaxSize"/> bytes unless it is the end of the input.
    /// </summary>
    public int NextBoundary(ReadOnlySpan<byte> data)
    {
        var n = Math.Min(data.Length, MaxSize);
        if (n <= MinSize)
        {
            return n;
        }

        var normal = Math.Min(n, AverageSize);
        ref var gear = ref MemoryMarshal.GetArrayDataReference(_gear);
        ref var b = ref MemoryMarshal.GetReference(data);
        ulong h = 0;
        var i = MinSize;
        var strict = _maskStrict;
        for (; i < normal; i++)
        {
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref b, i));
            if ((h & strict) == 0)
            {
                return i + 1;
            }
        }

        var loose = _maskLoose;
        for (; i < n; i++)
        {
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref b, i));
            if ((h & loose) == 0)
            {
                return i + 1;
            }
        }

        return n;
    }

    private static ulong TopBits(int count) => ~0UL << (64 - count);

    private static ulong[] BuildGear(ulong seed)
    {
        // SplitMix64: a fixed, well-mixed expansion of the seed into 256 table entries.
        var table = new ulong[256];
        var state = seed;
        for (var i = 0; i < table.Length; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            table[i] = z ^ (z >> 31);
        }

        return table;
    }
}
