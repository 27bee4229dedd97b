using DrOrchestrator.Storage.S3;

namespace DrOrchestrator.Storage.Tests.S3;

public sealed class S3TargetOptionsTests
{
    [Fact]
    public void Valid_options_have_no_errors()
    {
        Assert.Empty(new S3TargetOptions { Bucket = "my-backups", Prefix = "prod/db", StorageClass = "STANDARD_IA" }.Validate());
    }

    [Theory]
    [InlineData("", "Bucket: must be 3-63 lowercase letters, digits, '.' or '-' (got '').")]
    [InlineData("Upper", "Bucket: must be 3-63 lowercase letters, digits, '.' or '-' (got 'Upper').")]
    public void A_bad_bucket_is_named(string bucket, string expected) =>
        Assert.Equal([expected], new S3TargetOptions { Bucket = bucket }.Validate());

    [Fact]
    public void Every_problem_is_reported_naming_its_field()
    {
        var options = new S3TargetOptions
        {
            Bucket = "ok-bucket",
            Prefix = "a/../b",
            Region = " ",
            ServiceUrl = "ftp://x",
            StorageClass = "DEEP_ARCHIVE",
            PartSizeMiB = 4,
            ParallelParts = 0,
        };

        Assert.Equal(
            [
                "Prefix: must be '/'-separated segments of [A-Za-z0-9._-] (got 'a/../b').",
                "Region: must be set (e.g. 'us-east-1').",
                "ServiceUrl: must be an absolute http(s) URL (got 'ftp://x').",
                "StorageClass: 'DEEP_ARCHIVE' objects cannot be read without a restore request, so restores and drills would fail; use GLACIER_IR.",
                "PartSizeMiB: must be between 5 and 512 (got 4).",
                "ParallelParts: must be between 1 and 16 (got 0).",
            ],
            options.Validate());
    }

    [Fact]
    public void A_service_url_with_credentials_is_rejected_without_echoing_it()
    {
        var errors = new S3TargetOptions { Bucket = "b-1", ServiceUrl = "https://AKIA:secret@s3.example.com" }.Validate();

        Assert.Equal(["ServiceUrl: must not contain credentials or a query string; use the *EnvironmentVariable settings."], errors);
    }

    [Fact]
    public void Credential_variables_must_come_in_pairs_and_be_set()
    {
        Assert.Equal(
            ["AccessKeyIdEnvironmentVariable, SecretAccessKeyEnvironmentVariable: set both or neither (neither = standard AWS credential chain)."],
            new S3TargetOptions { Bucket = "b-1", AccessKeyIdEnvironmentVariable = "X" }.Validate());
        Assert.Equal(
            [
                "AccessKeyIdEnvironmentVariable: environment variable 'DRORCH_TEST_UNSET_1' is not set.",
                "SecretAccessKeyEnvironmentVariable: environment variable 'DRORCH_TEST_UNSET_2' is not set.",
            ],
            new S3TargetOptions { Bucket = "b-1", AccessKeyIdEnvironmentVariable = "DRORCH_TEST_UNSET_1", SecretAccessKeyEnvironmentVariable = "DRORCH_TEST_UNSET_2" }.Validate());
    }

    [Fact]
    public void Create_reports_all_problems_in_one_line()
    {
        var ex = Assert.Throws<ArgumentException>(() => S3ObjectStore.Create(new S3TargetOptions { Bucket = "B", ParallelParts = 99 }));

        Assert.StartsWith(
            "Invalid S3 target: Bucket: must be 3-63 lowercase letters, digits, '.' or '-' (got 'B'). ParallelParts: must be between 1 and 16 (got 99).",
            ex.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_ca_certificate_file_is_checked_at_start_up_and_named_in_each_problem()
    {
        using var directory = new TempDirectory("s3-ca-options");
        var missing = Path.Combine(directory.Path, "missing.pem");
        var notPem = Path.Combine(directory.Path, "key-only.pem");
        File.WriteAllText(notPem, Emulators.TlsS3rverFixture.NewLoopbackCertificate().KeyPem);
        var good = Path.Combine(directory.Path, "ca.pem");
        File.WriteAllText(good, Emulators.TlsS3rverFixture.NewLoopbackCertificate().CertificatePem);

        string[] Problems(string file, string url = "https://minio.internal:9000") =>
            [.. new S3TargetOptions { Bucket = "b-1", ServiceUrl = url, CaCertificateFile = file }.Validate()];

        Assert.Empty(Problems(good));
        Assert.Equal([$"CaCertificateFile: '{missing}' does not exist."], Problems(missing));
        Assert.Equal([$"CaCertificateFile: '{notPem}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)."], Problems(notPem));
        Assert.Equal(["CaCertificateFile: set, but ServiceUrl is not https."], Problems(good, "http://minio.internal:9000"));
        Assert.Single(new S3TargetOptions { Bucket = "b-1", CaCertificateFile = good }.LoadCaCertificates(out _)!);
    }
}
