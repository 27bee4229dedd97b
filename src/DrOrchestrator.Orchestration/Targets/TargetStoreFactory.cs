using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Composite;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Storage.AzureBlob;
using DrOrchestrator.Storage.Local;
using DrOrchestrator.Storage.S3;
using Microsoft.Extensions.Configuration;

namespace DrOrchestrator.Orchestration.Targets;

/// <summary>
/// Builds the backend for a target definition: binds the section to the backend's typed options,
/// validates them (every message names the file, section and field), and creates the store.
/// </summary>
internal static class TargetStoreFactory
{
    public static readonly IReadOnlyList<string> KnownTypes = ["local", "s3", "azure", "pool"];

    public static void Validate(TargetDefinition target, IConfiguration configuration)
    {
        var problems = target.Type switch
        {
            "local" => BindLocal(target, configuration).Validate(),
            "s3" => BindS3(target, configuration).Validate(),
            "azure" => Bind<AzureBlobTargetOptions>(target).Validate(),
            "pool" => ValidatePool(target, configuration),
            _ => [],
        };
        if (problems.Count > 0)
        {
            throw new ConfigurationException($"{ConfigurationLoader.FileName(configuration)}: Targets:{target.Name}: {problems[0]}");
        }
    }

    public static IObjectStore Create(TargetDefinition target, TargetRegistry registry, IConfiguration configuration) => target.Type switch
    {
        "local" => LocalObjectStore.Create(BindLocal(target, configuration)),
        "s3" => S3ObjectStore.Create(BindS3(target, configuration)),
        "azure" => AzureBlobObjectStore.Create(Bind<AzureBlobTargetOptions>(target)),
        "pool" => CreatePool(target, registry),
        _ => throw new ConfigurationException($"Targets:{target.Name}:Type: unknown target type '{target.Type}'"),
    };

    /// <summary>The pool's membership as configured (members opened through the registry, with retries).</summary>
    public static PoolMembership PoolMembership(TargetDefinition target, TargetRegistry registry)
    {
        var options = target.Section.Get<PoolTargetOptions>() ?? new PoolTargetOptions();
        return new PoolMembership(
            options.Members.Select(m => new PoolMember(m.Target, registry.Open(m.Target), m.Weight)), options.ReplicationFactor);
    }

    private static PoolObjectStore CreatePool(TargetDefinition target, TargetRegistry registry) =>
        new(target.Name, PoolMembership(target, registry));

    private static T Bind<T>(TargetDefinition target)
        where T : new() => target.Section.Get<T>() ?? new T();

    private static LocalTargetOptions BindLocal(TargetDefinition target, IConfiguration configuration)
    {
        var options = Bind<LocalTargetOptions>(target);
        options.Path = RelativeToConfiguration(configuration, options.Path)!;
        return options;
    }

    private static S3TargetOptions BindS3(TargetDefinition target, IConfiguration configuration)
    {
        var options = Bind<S3TargetOptions>(target);
        options.CaCertificateFile = RelativeToConfiguration(configuration, options.CaCertificateFile);
        return options;
    }

    /// <summary>A configured path resolved against the configuration file's folder; unset stays unset (for Validate to name).</summary>
    private static string? RelativeToConfiguration(IConfiguration configuration, string? path) =>
        string.IsNullOrWhiteSpace(path) ? path : ConfigurationLoader.ResolvePath(configuration, path);

    private static IReadOnlyList<string> ValidatePool(TargetDefinition target, IConfiguration configuration)
    {
        var options = target.Section.Get<PoolTargetOptions>() ?? new PoolTargetOptions();
        var targets = configuration.GetSection("Targets");
        if (options.Members.Count == 0)
        {
            return ["Members: a pool needs at least one member target"];
        }

        foreach (var (member, i) in options.Members.Select((m, i) => (m, i)))
        {
            var type = targets.GetSection(member.Target)["Type"];
            if (string.IsNullOrWhiteSpace(member.Target) || type is null)
            {
                return [$"Members:{i}:Target: '{member.Target}' is not a configured target"];
            }

            if (type.Equals("pool", StringComparison.OrdinalIgnoreCase))
            {
                return [$"Members:{i}:Target: '{member.Target}' is a pool; pools cannot contain pools"];
            }

            if (member.Weight <= 0)
            {
                return [$"Members:{i}:Weight: must be positive (got {member.Weight})"];
            }
        }

        return options.ReplicationFactor < 1 || options.ReplicationFactor > options.Members.Count
            ? [$"ReplicationFactor: must be between 1 and the number of members ({options.Members.Count}), got {options.ReplicationFactor}"]
            : [];
    }
}
