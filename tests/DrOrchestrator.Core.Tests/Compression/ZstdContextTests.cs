using System.Security.Cryptography;
using System.Text;
using DrOrchestrator.Core.Compression;

namespace DrOrchestrator.Core.Tests.Compression;

/// <summary>Both zstd implementations: round trips, frames readable by the other one, corrupt input.</summary>
public sealed class ZstdContextTests
{
    public static TheoryData<string> Implementations => ["native", "managed"];

    private static ZstdContext Create(string implementation) => implementation == "native"
        ? new NativeZstdContext(LibZstd.TryLoad() ?? throw new InvalidOperationException("libzstd.so.1 must load on the CI machine (Debian's libzstd1)"))
        : new ManagedZstdContext();

    private static byte[] Text(int length)
    {
        var sb = new StringBuilder();
        for (var i = 0; sb.Length < length; i++)
        {
            sb.Append("2026-11-26T09:").Append(i % 60).Append(" INFO svc-").Append(i % 17).Append(" GET /items/").Append(i * 7919 % 100_000).Append('\n');
        }

        return Encoding.ASCII.GetBytes(sb.ToString(0, length));
    }

    [Fact]
    public void The_system_library_is_used_on_this_machine()
    {
        using var zstd = ZstdContext.Create();

        Assert.StartsWith("native (libzstd 1.", zstd.Implementation, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public void Round_trips_text_random_and_tiny_inputs(string implementation)
    {
        using var zstd = Create(implementation);
        foreach (var input in new[] { Text(1 << 20), TestSupport.RandomBytes(300_000, 1), [], [42], Text(100) })
        {
            var frame = new byte[ZstdContext.CompressBound(input.Length)];
            var n = zstd.Compress(input, frame, level: 1);
            var back = new byte[input.Length];

            Assert.Equal(input.Length, zstd.Decompress(frame.AsSpan(0, n), back));
            Assert.Equal(SHA256.HashData(input), SHA256.HashData(back));
            Assert.Equal(input, zstd.Decompress(frame.AsSpan(0, n)));
        }
    }

    [Fact]
    public void Text_shrinks_and_frames_are_readable_by_the_other_implementation()
    {
        using var native = Create("native");
        using var managed = Create("managed");
        var input = Text(2 << 20);
        foreach (var (writer, reader) in new[] { (native, managed), (managed, native) })
        {
            var frame = new byte[ZstdContext.CompressBound(input.Length)];
            var n = writer.Compress(input, frame, level: 3);

            Assert.True(n < input.Length / 3, $"{writer.Implementation}: {n} bytes for {input.Length} of log text");
            Assert.Equal(input, reader.Decompress(frame.AsSpan(0, n)));
        }
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public void Corrupt_or_oversized_frames_are_invalid_data(string implementation)
    {
        using var zstd = Create(implementation);
        var input = Text(200_000);
        var frame = new byte[ZstdContext.CompressBound(input.Length)];
        var n = zstd.Compress(input, frame, level: 1);
        var output = new byte[input.Length];

        Assert.Throws<InvalidDataException>(() => zstd.Decompress(frame.AsSpan(0, n / 2), output)); // truncated
        Assert.Throws<InvalidDataException>(() => zstd.Decompress(frame.AsSpan(0, n), output.AsSpan(0, 1000))); // does not fit
        Assert.Throws<InvalidDataException>(() => zstd.Decompress("not a zstd frame at all"u8.ToArray()));
        frame[0] ^= 0xff; // magic number
        Assert.Throws<InvalidDataException>(() => zstd.Decompress(frame.AsSpan(0, n), output));
    }

    [Fact]
    public void Compress_bound_matches_the_library_formula()
    {
        foreach (var length in new[] { 0, 1, 100, 128 * 1024 - 1, 128 * 1024, 1 << 20, 4 << 20 })
        {
            Assert.Equal(ZstdSharp.Compressor.GetCompressBound(length), ZstdContext.CompressBound(length));
        }
    }
}
