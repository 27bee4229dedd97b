using System.Text;
using DrOrchestrator.Core.Configuration;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Targets;
using DrOrchestrator.Storage.AzureBlob;
using DrOrchestrator.Storage.Local;
using DrOrchestrator.Storage.S3;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Storage.Tests.Registration;

/// <summary>A service provider with every backend registered over an in-memory configuration "test.json" in <paramref name="baseDirectory"/>.</summary>
internal static class TargetServices
{
    public const string FileName = "test.json";

    public static ServiceProvider Build(string baseDirectory, IDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                [ConfigurationFile.BaseDirectoryKey] = baseDirectory,
                [ConfigurationFile.ConfigFileKey] = Path.Combine(baseDirectory, FileName),
            })
            .AddInMemoryCollection(settings)
            .Build();
        return new ServiceCollection()
            .AddLocalTargets(configuration)
            .AddS3Targets(configuration)
            .AddAzureBlobTargets(configuration)
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public static ITargetBackend Backend(IServiceProvider services, string type) =>
        Assert.Single(services.GetServices<ITargetBackend>(), b => b.Type == type);

    /// <summary>What a host does at start-up: every option registered with ValidateOnStart, validated.</summary>
    public static OptionsValidationException StartupFailure(IServiceProvider services) =>
        Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

    /// <summary>Writes an object through the store and reads it back.</summary>
    public static async Task<string> RoundTripAsync(IObjectStore store, string key, string text)
    {
        await store.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None);
        await using var read = await store.GetAsync(key, null, CancellationToken.None);
        using var reader = new StreamReader(read, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }
}
