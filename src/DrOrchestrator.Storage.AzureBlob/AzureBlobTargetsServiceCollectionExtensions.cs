using DrOrchestrator.Core.Storage.Targets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DrOrchestrator.Storage.AzureBlob;

public static class AzureBlobTargetsServiceCollectionExtensions
{
    public const string Type = "azure";

    /// <summary>
    /// Registers the <c>azure</c> backend: every <c>Targets:&lt;name&gt;</c> section with
    /// <c>Type: azure</c> is bound to <see cref="AzureBlobTargetOptions"/> and validated at
    /// start-up (exactly one way to authenticate, its variables set).
    /// </summary>
    public static IServiceCollection AddAzureBlobTargets(this IServiceCollection services, IConfiguration configuration) =>
        services.AddTargetBackend<AzureBlobTargetOptions>(
            configuration,
            Type,
            (_, _) => { },
            options => options.Validate(),
            (name, options, _) => AzureBlobObjectStore.Create(options, name));
}
