using DrOrchestrator.Storage.AzureBlob;
using DrOrchestrator.Storage.Tests.Emulators;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Storage.Tests.Registration;

[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobTargetRegistrationTests(AzuriteFixture server) : IDisposable
{
    private readonly TempDirectory _directory = new("registration");
    private readonly string _prefix = $"p-{Guid.NewGuid():N}";

    [Fact]
    public async Task An_azure_target_resolves_through_DI_and_reaches_the_server()
    {
        using var services = TargetServices.Build(_directory.Path, new Dictionary<string, string?>
        {
            ["Targets:blob:Type"] = "azure",
            ["Targets:blob:Container"] = "registration",
            ["Targets:blob:Prefix"] = _prefix,
            ["Targets:blob:ConnectionStringEnvironmentVariable"] = server.ConnectionStringVariable,
        });
        services.GetRequiredService<IStartupValidator>().Validate();

        var store = Assert.IsType<AzureBlobObjectStore>(TargetServices.Backend(services, "azure").Open("blob"));
        await store.EnsureContainerAsync(CancellationToken.None);

        Assert.Equal("through DI", await TargetServices.RoundTripAsync(store, "keys/registration", "through DI"));
        var direct = await server.CreateStoreAsync("registration", _prefix);
        Assert.NotNull(await direct.StatAsync("keys/registration", CancellationToken.None));
    }

    [Fact]
    public void An_azure_target_without_a_way_to_authenticate_fails_start_up()
    {
        using var services = TargetServices.Build(_directory.Path, new Dictionary<string, string?>
        {
            ["Targets:blob:Type"] = "azure",
            ["Targets:blob:Container"] = "registration",
        });

        var failure = TargetServices.StartupFailure(services);

        Assert.Equal(
            ["test.json: Targets:blob: ConnectionStringEnvironmentVariable, SasUrlEnvironmentVariable, ServiceUri: set exactly one (ServiceUri uses DefaultAzureCredential); 0 are set."],
            failure.Failures);
    }

    public void Dispose() => _directory.Dispose();
}
