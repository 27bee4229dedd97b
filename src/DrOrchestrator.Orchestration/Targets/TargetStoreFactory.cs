using DrOrchestrator.Core.Storage;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Storage.Local;
using Microsoft.Extensions.Configuration;

namespace DrOrchestrator.Orchestration.Targets;

/// <summary>
/// Builds the backend for a target definition: binds the section to the backend's typed options,
/// validates them (every message names the file, section and field), and creates the store.
/// </summary>
internal static class TargetStoreFactory
{
    public static readonly IReadOnlyList<string> KnownTypes = ["local"];

    public static void Validate(TargetDefinition target, IConfiguration configuration)
    {
        var problems = target.Type switch
        {
            "local" => BindLocal(target, configuration).Validate(),
            _ => [],
        };
        if (problems.Count > 0)
        {
            throw new ConfigurationException($"{ConfigurationLoader.FileName(configuration)}: Targets:{target.Name}: {problems[0]}");
        }
    }

    public static IObjectStore Create(TargetDefinition target, IConfiguration configuration) => target.Type switch
    {
        "local" => LocalObjectStore.Create(BindLocal(target, configuration)),
        _ => throw new ConfigurationException($"Targets:{target.Name}:Type: unknown target type '{target.Type}'"),
    };

    private static LocalTargetOptions BindLocal(TargetDefinition target, IConfiguration configuration)
    {
        var options = target.Section.Get<LocalTargetOptions>() ?? new LocalTargetOptions();
        if (!string.IsNullOrWhiteSpace(options.Path))
        {
            options.Path = ConfigurationLoader.ResolvePath(configuration, options.Path);
        }

        return options;
    }
}
