using DrOrchestrator.Storage.S3;
using DrOrchestrator.Storage.Tests.Emulators;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Storage.Tests.Registration;

[Collection(S3rverCollection.Name)]
public sealed class S3TargetRegistrationTests(S3rverFixture server) : IDisposable
{
    private readonly TempDirectory _directory = new("registration");
    private readonly string _prefix = $"p-{Guid.NewGuid():N}";

    [Fact]
    public async Task An_s3_target_resolves_through_DI_and_reaches_the_server()
    {
        using var services = TargetServices.Build(_directory.Path, Settings("registration"));
        services.GetRequiredService<IStartupValidator>().Validate();

        var store = Assert.IsType<S3ObjectStore>(TargetServices.Backend(services, "s3").Open("cloud"));
        await store.EnsureBucketAsync(CancellationToken.None);

        Assert.Equal("through DI", await TargetServices.RoundTripAsync(store, "keys/registration", "through DI"));
        var direct = await server.CreateStoreAsync("registration", _prefix);
        Assert.NotNull(await direct.StatAsync("keys/registration", CancellationToken.None));
    }

    [Fact]
    public void An_s3_target_with_a_bad_bucket_and_a_missing_credential_fails_start_up_with_both_problems()
    {
        var settings = Settings("Bad_Bucket");
        settings["Targets:cloud:SecretAccessKeyEnvironmentVariable"] = "DRORCH_TEST_UNSET_" + Guid.NewGuid().ToString("N");

        using var services = TargetServices.Build(_directory.Path, settings);
        var failure = TargetServices.StartupFailure(services);

        Assert.Equal(
        [
            "test.json: Targets:cloud: Bucket: must be 3-63 lowercase letters, digits, '.' or '-' (got 'Bad_Bucket').",
            $"test.json: Targets:cloud: SecretAccessKeyEnvironmentVariable: environment variable '{settings["Targets:cloud:SecretAccessKeyEnvironmentVariable"]}' is not set.",
        ], failure.Failures);
    }

    [Fact]
    public void A_relative_ca_file_is_resolved_against_the_configuration_file_before_it_is_validated()
    {
        var settings = Settings("registration");
        settings["Targets:cloud:ServiceUrl"] = "https://127.0.0.1:1";
        settings["Targets:cloud:CaCertificateFile"] = "certs/ca.pem";

        using var services = TargetServices.Build(_directory.Path, settings);

        Assert.Equal(
            [$"test.json: Targets:cloud: CaCertificateFile: '{Path.Combine(_directory.Path, "certs", "ca.pem")}' does not exist."],
            TargetServices.Backend(services, "s3").Validate("cloud"));
    }

    private Dictionary<string, string?> Settings(string bucket)
    {
        var options = server.OptionsFor(bucket, _prefix);
        return new Dictionary<string, string?>
        {
            ["Targets:cloud:Type"] = "s3",
            ["Targets:cloud:ServiceUrl"] = options.ServiceUrl,
            ["Targets:cloud:ForcePathStyle"] = "true",
            ["Targets:cloud:Region"] = options.Region,
            ["Targets:cloud:Bucket"] = options.Bucket,
            ["Targets:cloud:Prefix"] = options.Prefix,
            ["Targets:cloud:AccessKeyIdEnvironmentVariable"] = options.AccessKeyIdEnvironmentVariable,
            ["Targets:cloud:SecretAccessKeyEnvironmentVariable"] = options.SecretAccessKeyEnvironmentVariable,
            ["Targets:cloud:DisableChunkEncoding"] = "true",
            ["Targets:cloud:ChecksumsWhenRequiredOnly"] = "true",
        };
    }

    public void Dispose() => _directory.Dispose();
}
