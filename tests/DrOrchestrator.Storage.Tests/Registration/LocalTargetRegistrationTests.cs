using DrOrchestrator.Storage.Local;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Storage.Tests.Registration;

public sealed class LocalTargetRegistrationTests : IDisposable
{
    private readonly TempDirectory _directory = new("registration");

    [Fact]
    public async Task A_local_target_resolves_through_DI_with_its_path_relative_to_the_configuration_file()
    {
        using var services = TargetServices.Build(_directory.Path, new Dictionary<string, string?>
        {
            ["Targets:disk:Type"] = "local",
            ["Targets:disk:Path"] = "repo",
        });
        services.GetRequiredService<IStartupValidator>().Validate();
        var backend = TargetServices.Backend(services, "local");

        var store = backend.Open("disk");

        Assert.IsType<LocalObjectStore>(store);
        Assert.Empty(backend.Validate("disk"));
        Assert.Equal("payload", await TargetServices.RoundTripAsync(store, "keys/registration", "payload"));
        Assert.Equal("payload", File.ReadAllText(Path.Combine(_directory.Path, "repo", "keys", "registration")));
    }

    [Fact]
    public void A_local_target_without_a_path_fails_start_up_naming_the_file_target_and_field()
    {
        using var services = TargetServices.Build(_directory.Path, new Dictionary<string, string?>
        {
            ["Targets:disk:Type"] = "local",
            ["Targets:disk:Path"] = "",
        });

        var failure = TargetServices.StartupFailure(services);

        const string expected = "test.json: Targets:disk: Path: must be set to the absolute path of the repository directory.";
        Assert.Equal([expected], failure.Failures);
        Assert.Equal([expected], TargetServices.Backend(services, "local").Validate("disk"));
    }

    [Fact]
    public void A_backend_opens_only_targets_of_its_own_type()
    {
        using var services = TargetServices.Build(_directory.Path, new Dictionary<string, string?>
        {
            ["Targets:disk:Type"] = " Local ",
            ["Targets:disk:Path"] = "repo",
            ["Targets:cloud:Type"] = "s3",
            ["Targets:cloud:Bucket"] = "backups",
        });

        var local = TargetServices.Backend(services, "local");
        var failure = Assert.Throws<OptionsValidationException>(() => local.Open("cloud"));

        Assert.IsType<LocalObjectStore>(local.Open("disk"));
        Assert.Equal(["test.json: Targets:cloud: Type: is not a local target"], failure.Failures);
        Assert.Equal(["azure", "local", "s3"], services.GetServices<Core.Storage.Targets.ITargetBackend>().Select(b => b.Type).Order());
    }

    [Fact]
    public void Registering_a_backend_twice_registers_it_once()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Targets:disk:Type"] = "local", ["Targets:disk:Path"] = "" })
            .Build();
        using var services = new ServiceCollection().AddLocalTargets(configuration).AddLocalTargets(configuration).BuildServiceProvider();

        var failure = TargetServices.StartupFailure(services);

        Assert.Single(services.GetServices<Core.Storage.Targets.ITargetBackend>());
        Assert.Equal(["appsettings.json: Targets:disk: Path: must be set to the absolute path of the repository directory."], failure.Failures);
    }

    public void Dispose() => _directory.Dispose();
}
