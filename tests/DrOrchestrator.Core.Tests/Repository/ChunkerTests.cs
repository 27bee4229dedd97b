using System.Buffers;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Tests.Repository;

public sealed class ChunkerTests
{
    private static readonly ChunkerParameters Default = new(256 * 1024, 1024 * 1024, 4 * 1024 * 1024, 0x1234_5678_9abc_def0UL);

    private static List<(int Offset, int Length, BlobId Id)> Chunk(byte[] data, ChunkerParameters p)
    {
        var chunker = new Chunker(p);
        var result = new List<(int, int, BlobId)>();
        var pos = 0;
        while (pos < data.Length)
        {
            var n = chunker.NextBoundary(data.AsSpan(pos));
            result.Add((pos, n, BlobId.Hash(data.AsSpan(pos, n))));
            pos += n;
        }

        return result;
    }

    [Fact]
    public void Chunk_sizes_stay_within_min_and_max_and_cover_the_input()
    {
        var data = TestSupport.RandomBytes(64 * 1024 * 1024, 1);
        var chunks = Chunk(data, Default);

        Assert.Equal(data.Length, chunks.Sum(c => (long)c.Length));
        Assert.All(chunks.SkipLast(1), c => Assert.InRange(c.Length, Default.MinSize, Default.MaxSize));
        var average = chunks.Average(c => c.Length);
        Assert.InRange(average, 512 * 1024, 2 * 1024 * 1024);
    }

    [Fact]
    public void Chunking_is_deterministic_and_depends_on_the_seed()
    {
        var data = TestSupport.RandomBytes(16 * 1024 * 1024, 2);
        var first = Chunk(data, Default).Select(c => c.Length).ToList();
        var second = Chunk(data, Default).Select(c => c.Length).ToList();
        var otherSeed = Chunk(data, Default with { GearSeed = 42 }).Select(c => c.Length).ToList();

        Assert.Equal(first, second);
        Assert.NotEqual(first, otherSeed);
    }

    [Fact]
    public void Inserting_bytes_near_the_start_leaves_at_least_90_percent_of_chunks_unchanged()
    {
        var data = TestSupport.RandomBytes(64 * 1024 * 1024, 3);
        var edited = new byte[data.Length + 7];
        data.AsSpan(0, 1000).CopyTo(edited);
        "INSERT!"u8.CopyTo(edited.AsSpan(1000));
        data.AsSpan(1000).CopyTo(edited.AsSpan(1007));

        var before = Chunk(data, Default).Select(c => c.Id).ToList();
        var after = Chunk(edited, Default).Select(c => c.Id).ToHashSet();
        var kept = before.Count(after.Contains);

        Assert.True(kept >= before.Count * 0.9, $"only {kept} of {before.Count} chunks unchanged");
    }

    [Fact]
    public void Small_and_empty_inputs_are_one_chunk()
    {
        var chunker = new Chunker(Default);
        Assert.Equal(0, chunker.NextBoundary([]));
        Assert.Equal(100, chunker.NextBoundary(new byte[100]));
        Assert.Equal(Default.MaxSize, chunker.NextBoundary(new byte[Default.MaxSize * 2])); // zeros never match: cut at max
    }

    [Fact]
    public async Task ChunkReader_over_a_stream_yields_the_same_chunks_as_the_span_chunker()
    {
        var p = new ChunkerParameters(16 * 1024, 64 * 1024, 256 * 1024, 7);
        var data = TestSupport.RandomBytes(3 * 1024 * 1024 + 123, 4);
        var expected = Chunk(data, p).Select(c => c.Id).ToList();

        using var reader = new ChunkReader(new Chunker(p), ArrayPool<byte>.Shared);
        reader.Reset(new MemoryStream(data));
        var actual = new List<BlobId>();
        while (true)
        {
            var chunk = await reader.NextAsync(CancellationToken.None);
            if (chunk.IsEmpty)
            {
                break;
            }

            actual.Add(BlobId.Hash(chunk.Span));
        }

        Assert.Equal(expected, actual);
        Assert.Equal(data.Length, reader.BytesRead);
        Assert.True(reader.AtEnd);
    }
}
