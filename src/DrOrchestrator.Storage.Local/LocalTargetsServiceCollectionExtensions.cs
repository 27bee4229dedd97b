using DrOrchestrator.Core.Configuration;
using DrOrchestrator.Core.Storage.Targets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DrOrchestrator.Storage.Local;

public static class LocalTargetsServiceCollectionExtensions
{
    public const string Type = "local";

    /// <summary>
    /// Registers the <c>local</c> backend: every <c>Targets:&lt;name&gt;</c> section with
    /// <c>Type: local</c> is bound to <see cref="LocalTargetOptions"/> (a relative <c>Path</c> is
    /// taken relative to the configuration file) and validated at start-up.
    /// </summary>
    public static IServiceCollection AddLocalTargets(this IServiceCollection services, IConfiguration configuration) =>
        services.AddTargetBackend<LocalTargetOptions>(
            configuration,
            Type,
            (options, config) => options.Path = ConfigurationFile.ResolveOptionalPath(config, options.Path)!,
            options => options.Validate(),
            (name, options, _) => LocalObjectStore.Create(options, name));
}
