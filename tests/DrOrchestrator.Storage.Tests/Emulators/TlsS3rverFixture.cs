using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DrOrchestrator.Storage.S3;

namespace DrOrchestrator.Storage.Tests.Emulators;

/// <summary>
/// s3rver over https with a self-signed certificate made for the run (real clouds are https, and
/// only over TLS does the store send UNSIGNED-PAYLOAD bodies). The store trusts exactly that
/// certificate through the target's <c>CaCertificateFile</c>; the process trust store is untouched.
/// </summary>
public sealed class TlsS3rverFixture : IAsyncLifetime
{
    private readonly string _tlsDirectory = Directory.CreateTempSubdirectory("drorch-s3rver-tls-").FullName;

    public TlsS3rverFixture()
    {
        var keyPath = Path.Combine(_tlsDirectory, "key.pem");
        var certPath = CertificatePath = Path.Combine(_tlsDirectory, "cert.pem");
        var (certificatePem, keyPem) = NewLoopbackCertificate();
        File.WriteAllText(keyPath, keyPem);
        File.WriteAllText(certPath, certificatePem);
        Server = new EmulatorProcess(
            "s3rver-tls",
            Path.Combine("s3rver", "bin", "s3rver.js"),
            (port, data) => ["--directory", data, "--address", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent", "--key", keyPath, "--cert", certPath],
            ["--openssl-legacy-provider"]);
    }

    public EmulatorProcess Server { get; }

    /// <summary>The server's self-signed certificate (PEM): what a target's <c>CaCertificateFile</c> names to trust it.</summary>
    public string CertificatePath { get; }

    public string ServiceUrl => $"https://127.0.0.1:{Server.Port}";

    /// <summary>Options like <see cref="S3rverFixture.OptionsFor"/>, over https, trusting this server's certificate only.</summary>
    public S3TargetOptions OptionsFor(string bucket, string prefix, bool checksumsWhenRequiredOnly) => new()
    {
        ServiceUrl = ServiceUrl,
        ForcePathStyle = true,
        Bucket = bucket,
        Prefix = prefix,
        AccessKeyIdEnvironmentVariable = S3rverFixture.AccessKeyVariable,
        SecretAccessKeyEnvironmentVariable = S3rverFixture.SecretKeyVariable,
        DisableChunkEncoding = true,
        ChecksumsWhenRequiredOnly = checksumsWhenRequiredOnly,
        CaCertificateFile = CertificatePath,
    };

    /// <summary>A new self-signed certificate for 127.0.0.1 and its private key, both PEM.</summary>
    public static (string CertificatePem, string KeyPem) NewLoopbackCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable(S3rverFixture.AccessKeyVariable, "S3RVER");
        Environment.SetEnvironmentVariable(S3rverFixture.SecretKeyVariable, "S3RVER");
        await Server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(_tlsDirectory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class TlsS3rverCollection : ICollectionFixture<TlsS3rverFixture>
{
    public const string Name = "s3rver-tls";
}
