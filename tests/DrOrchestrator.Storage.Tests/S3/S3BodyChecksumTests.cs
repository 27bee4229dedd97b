using System.Security.Cryptography;
using System.Text;
using DrOrchestrator.Storage.S3;

namespace DrOrchestrator.Storage.Tests.S3;

/// <summary>Which checksum an upload body carries, and that its value is the one S3 expects.</summary>
public sealed class S3BodyChecksumTests
{
    private static readonly byte[] Check = Encoding.ASCII.GetBytes("123456789");

    [Fact]
    public void Crc32_is_sent_big_endian_in_base64_as_S3_expects()
    {
        // CRC-32 (IEEE) of "123456789" is 0xCBF43926, the standard check value.
        Assert.Equal("y/Q5Jg==", S3BodyChecksum.Crc32Base64(0xCBF43926));
        var checksum = new S3BodyChecksum(new S3TargetOptions { DisableChunkEncoding = true }).Of(Check);
        Assert.Equal(new BodyChecksum(null, "y/Q5Jg=="), checksum);
    }

    [Fact]
    public void Compatibles_without_flexible_checksums_get_Content_MD5_only()
    {
        var checksum = new S3BodyChecksum(new S3TargetOptions { ChecksumsWhenRequiredOnly = true, DisableChunkEncoding = true }).Of(Check);
        Assert.Equal(new BodyChecksum(Convert.ToBase64String(MD5.HashData(Check)), null), checksum);
    }

    [Fact]
    public async Task With_aws_chunked_allowed_the_SDK_streams_the_checksum_and_nothing_is_read_here()
    {
        var sut = new S3BodyChecksum(new S3TargetOptions());
        await using var body = new MemoryStream(Check);

        Assert.False(sut.ComputedHere);
        Assert.Equal(default, sut.Of(Check));
        Assert.Equal(default, await sut.OfStreamAsync(body, CancellationToken.None));
        Assert.Equal(0, body.Position);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_stream_checksum_covers_the_rest_of_the_stream_and_puts_the_position_back(bool md5)
    {
        var sut = new S3BodyChecksum(new S3TargetOptions { ChecksumsWhenRequiredOnly = md5, DisableChunkEncoding = true });
        var data = new byte[3 * (1 << 20) + 7];
        new Random(5).NextBytes(data);
        await using var body = new MemoryStream(data) { Position = 7 };

        var checksum = await sut.OfStreamAsync(body, CancellationToken.None);

        Assert.Equal(sut.Of(data.AsSpan(7)), checksum);
        Assert.Equal(7, body.Position);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("https://minio.example:9000", true)]
    [InlineData("http://127.0.0.1:4569", false)]
    public void Payloads_go_unsigned_only_over_TLS(string? serviceUrl, bool unsigned) =>
        Assert.Equal(unsigned, new S3TargetOptions { ServiceUrl = serviceUrl }.UsesTls);
}
