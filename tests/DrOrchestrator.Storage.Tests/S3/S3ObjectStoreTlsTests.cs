using DrOrchestrator.Core.Storage;
using DrOrchestrator.Storage.S3;
using DrOrchestrator.Storage.Tests.Conformance;
using DrOrchestrator.Storage.Tests.Emulators;

namespace DrOrchestrator.Storage.Tests.S3;

/// <summary>
/// Uploads over https, where bodies go as UNSIGNED-PAYLOAD. Left alone, the SDK would then move its
/// CRC32 into an aws-chunked trailer, whose framing s3rver stores as object bytes (answering 200 OK),
/// so each upload path is checked byte for byte by SHA-256, in both checksum modes.
/// </summary>
[Collection(TlsS3rverCollection.Name)]
public sealed class S3ObjectStoreTlsTests(TlsS3rverFixture server)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_upload_path_round_trips_byte_for_byte_over_https(bool checksumsWhenRequiredOnly)
    {
        using var store = S3ObjectStore.Create(server.OptionsFor("tls", $"t-{Guid.NewGuid():N}", checksumsWhenRequiredOnly));
        await store.EnsureBucketAsync(CancellationToken.None);
        const long small = 1000, multipart = 9L * Content.MiB + 3, pack = 16L * Content.MiB + 5;

        var expectedSmall = await store.PutPatternAsync("small", small, seed: 1);
        var expectedMultipart = await store.PutPatternAsync("multipart", multipart, seed: 2, seekable: false);
        var expectedPack = await store.PutPatternFileAsync("data/ab/pack", pack, seed: 3);

        Assert.Equal(expectedSmall, await store.GetSha256Async("small"));
        Assert.Equal(expectedMultipart, await store.GetSha256Async("multipart"));
        Assert.Equal(expectedPack, await store.GetSha256Async("data/ab/pack"));
        Assert.Equal(pack, (await store.StatAsync("data/ab/pack", CancellationToken.None))!.Size);
    }

    [Fact]
    public async Task A_server_whose_certificate_is_not_in_the_ca_file_is_refused()
    {
        using var directory = new TempDirectory("s3-other-ca");
        var otherCa = Path.Combine(directory.Path, "other.pem");
        await File.WriteAllTextAsync(otherCa, TlsS3rverFixture.NewLoopbackCertificate().CertificatePem);
        var options = server.OptionsFor("tls", "refused", checksumsWhenRequiredOnly: true);
        options.CaCertificateFile = otherCa;
        using var store = S3ObjectStore.Create(options);

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => store.StatAsync("config", CancellationToken.None));

        Assert.False(error.IsTransient); // retrying cannot make the certificate trusted
        Assert.Contains("TLS handshake failed: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("UntrustedRoot", error.Message, StringComparison.Ordinal);
    }
}

