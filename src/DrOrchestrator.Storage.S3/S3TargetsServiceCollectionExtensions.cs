using DrOrchestrator.Core.Configuration;
using DrOrchestrator.Core.Storage.Targets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DrOrchestrator.Storage.S3;

public static class S3TargetsServiceCollectionExtensions
{
    public const string Type = "s3";

    /// <summary>
    /// Registers the <c>s3</c> backend: every <c>Targets:&lt;name&gt;</c> section with
    /// <c>Type: s3</c> is bound to <see cref="S3TargetOptions"/> (a relative
    /// <c>CaCertificateFile</c> is taken relative to the configuration file) and validated at
    /// start-up (credential variables set, CA file readable).
    /// </summary>
    public static IServiceCollection AddS3Targets(this IServiceCollection services, IConfiguration configuration) =>
        services.AddTargetBackend<S3TargetOptions>(
            configuration,
            Type,
            (options, config) => options.CaCertificateFile = ConfigurationFile.ResolveOptionalPath(config, options.CaCertificateFile),
            options => options.Validate(),
            (name, options, _) => S3ObjectStore.Create(options, targetName: name));
}
