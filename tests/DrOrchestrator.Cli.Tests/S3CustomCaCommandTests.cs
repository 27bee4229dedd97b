using DrOrchestrator.Storage.S3;
using DrOrchestrator.Storage.Tests.Emulators;

namespace DrOrchestrator.Cli.Tests;

[CollectionDefinition(Name)]
public sealed class TlsCloudEmulator : ICollectionFixture<TlsS3rverFixture>
{
    public const string Name = "cli-s3rver-tls";
}

/// <summary>
/// An S3 target behind a private certificate authority (here: s3rver over https with a self-signed
/// certificate), trusted through the target's <c>CaCertificateFile</c>, named relative to the
/// configuration file as every path there is.
/// </summary>
[Collection(TlsCloudEmulator.Name)]
public sealed class S3CustomCaCommandTests : IDisposable
{
    private readonly TlsS3rverFixture _s3;
    private readonly string _bucket = "b" + Guid.NewGuid().ToString("N")[..12];
    private readonly CliSandbox _sandbox;
    private readonly string _source;

    public S3CustomCaCommandTests(TlsS3rverFixture s3)
    {
        _s3 = s3;
        using (var store = S3ObjectStore.Create(s3.OptionsFor(_bucket, "", checksumsWhenRequiredOnly: true)))
        {
            store.EnsureBucketAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        _sandbox = new CliSandbox(settings => settings["Targets"] = new Dictionary<string, object>
        {
            ["private-s3"] = new Dictionary<string, object>
            {
                ["Type"] = "s3", ["ServiceUrl"] = s3.ServiceUrl, ["ForcePathStyle"] = "true", ["Bucket"] = _bucket, ["Prefix"] = "repo",
                ["AccessKeyIdEnvironmentVariable"] = S3rverFixture.AccessKeyVariable, ["SecretAccessKeyEnvironmentVariable"] = S3rverFixture.SecretKeyVariable,
                ["DisableChunkEncoding"] = "true", ["ChecksumsWhenRequiredOnly"] = "true",
                ["CaCertificateFile"] = Path.Combine("certs", "ca.pem"),
                ["Retry"] = new Dictionary<string, string> { ["MaxAttempts"] = "2", ["InitialDelay"] = "00:00:00.100", ["MaxElapsed"] = "00:00:02" },
            },
        });
        Directory.CreateDirectory(Path.Combine(_sandbox.Root, "certs"));
        _source = Path.Combine(_sandbox.Root, "source");
        Directory.CreateDirectory(_source);
        File.WriteAllBytes(Path.Combine(_source, "data.bin"), BackupRestoreCommandTests.RandomBytes(3_000_000, seed: 7));
        File.WriteAllText(Path.Combine(_source, "notes.txt"), string.Concat(Enumerable.Repeat("private ca\n", 4000)));
    }

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task Backup_and_restore_over_https_trust_the_ca_file_named_relative_to_the_configuration()
    {
        File.Copy(_s3.CertificatePath, Path.Combine(_sandbox.Root, "certs", "ca.pem"));
        await ApplyAsync();

        var backup = await _sandbox.RunAsync("backup", "ca");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var restored = Path.Combine(_sandbox.Root, "restored");
        var restore = await _sandbox.RunAsync("restore", "ca", "--to", restored);
        Assert.True(restore.ExitCode == 0, restore.ToString());

        BackupRestoreCommandTests.AssertSameTree(_source, Path.Combine(restored, "source"));
    }

    [Fact]
    public async Task A_ca_file_that_does_not_vouch_for_the_server_fails_the_backup_naming_the_target()
    {
        await File.WriteAllTextAsync(Path.Combine(_sandbox.Root, "certs", "ca.pem"), TlsS3rverFixture.NewLoopbackCertificate().CertificatePem);
        await ApplyAsync();

        var backup = await _sandbox.RunAsync("backup", "ca");

        Assert.NotEqual(0, backup.ExitCode);
        Assert.StartsWith("drorch: error: 0 of 1 primary targets usable, policy needs 1: private-s3: ", backup.Stderr, StringComparison.Ordinal);
        Assert.Contains(": TLS handshake failed: ", backup.Stderr, StringComparison.Ordinal);
        Assert.Contains("UntrustedRoot", backup.Stderr, StringComparison.Ordinal);
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task A_missing_ca_file_is_a_configuration_error_naming_the_field_and_the_resolved_path()
    {
        var apply = await _sandbox.RunAsync("policy", "apply", _sandbox.WritePolicy("ca", _source, target: "private-s3"));

        Assert.Equal(2, apply.ExitCode);
        Assert.Equal(
            $"drorch: error: appsettings.json: Targets:private-s3: CaCertificateFile: '{Path.Combine(_sandbox.Root, "certs", "ca.pem")}' does not exist.",
            apply.Stderr.Trim());
    }

    private async Task ApplyAsync()
    {
        var apply = await _sandbox.RunAsync("policy", "apply", _sandbox.WritePolicy("ca", _source, target: "private-s3"));
        Assert.True(apply.ExitCode == 0, apply.ToString());
    }

    private async Task<List<string>> ListAsync()
    {
        using var store = S3ObjectStore.Create(_s3.OptionsFor(_bucket, "repo", checksumsWhenRequiredOnly: true));
        var keys = new List<string>();
        await foreach (var info in store.ListAsync("", CancellationToken.None))
        {
            keys.Add(info.Key);
        }

        return keys;
    }
}
