using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Amazon.Runtime;
using DrOrchestrator.Storage.S3;

namespace DrOrchestrator.Storage.Tests.Emulators;

/// <summary>
/// s3rver over https with a self-signed certificate made for the run (real clouds are https, and
/// only over TLS does the store send UNSIGNED-PAYLOAD bodies). The store trusts exactly that
/// certificate through the options' internal HttpClientFactory; the process trust store is untouched.
/// </summary>
public sealed class TlsS3rverFixture : IAsyncLifetime
{
    private readonly string _tlsDirectory = Directory.CreateTempSubdirectory("drorch-s3rver-tls-").FullName;
    private readonly X509Certificate2 _certificate;

    public TlsS3rverFixture()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var keyPath = Path.Combine(_tlsDirectory, "key.pem");
        var certPath = Path.Combine(_tlsDirectory, "cert.pem");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, _certificate.ExportCertificatePem());
        Server = new EmulatorProcess(
            "s3rver-tls",
            Path.Combine("s3rver", "bin", "s3rver.js"),
            (port, data) => ["--directory", data, "--address", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent", "--key", keyPath, "--cert", certPath],
            ["--openssl-legacy-provider"]);
    }

    public EmulatorProcess Server { get; }

    /// <summary>Options like <see cref="S3rverFixture.OptionsFor"/>, over https, trusting this server's certificate only.</summary>
    public S3TargetOptions OptionsFor(string bucket, string prefix, bool checksumsWhenRequiredOnly) => new()
    {
        ServiceUrl = $"https://127.0.0.1:{Server.Port}",
        ForcePathStyle = true,
        Bucket = bucket,
        Prefix = prefix,
        AccessKeyIdEnvironmentVariable = S3rverFixture.AccessKeyVariable,
        SecretAccessKeyEnvironmentVariable = S3rverFixture.SecretKeyVariable,
        DisableChunkEncoding = true,
        ChecksumsWhenRequiredOnly = checksumsWhenRequiredOnly,
        HttpClientFactory = new PinnedCertificateHttpClientFactory(_certificate),
    };

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable(S3rverFixture.AccessKeyVariable, "S3RVER");
        Environment.SetEnvironmentVariable(S3rverFixture.SecretKeyVariable, "S3RVER");
        await Server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _certificate.Dispose();
        Directory.Delete(_tlsDirectory, recursive: true);
    }

    /// <summary>Accepts the one certificate this fixture made, compared byte for byte.</summary>
    private sealed class PinnedCertificateHttpClientFactory(X509Certificate2 pinned) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig)
        {
#pragma warning disable CA2000 // the HttpClient owns and disposes the handler
            var handler = new SocketsHttpHandler();
#pragma warning restore CA2000
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(pinned.RawData);
            return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TlsS3rverCollection : ICollectionFixture<TlsS3rverFixture>
{
    public const string Name = "s3rver-tls";
}
