using System.Collections.Concurrent;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Targets;
using DrOrchestrator.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DrOrchestrator.Orchestration.Tests;

/// <summary>
/// Targets of type <c>memory</c>: one <see cref="InMemoryObjectStore"/> per target name, kept for
/// the life of the sandbox so a test can read or damage what a use case wrote. Registered through
/// the same <see cref="ITargetBackend"/> seam as the Storage projects' backends, so the registry,
/// retries, read-only opening and pools above it are the product's own.
/// </summary>
internal sealed class MemoryTargets(IConfiguration configuration) : ITargetBackend
{
    public const string TypeName = "memory";

    private readonly ConcurrentDictionary<string, InMemoryObjectStore> _stores = new(StringComparer.Ordinal);

    public string Type => TypeName;

    /// <summary>The store behind memory target <paramref name="targetName"/> (the same instance every time it is opened).</summary>
    public InMemoryObjectStore this[string targetName] =>
        IsMemoryTarget(targetName)
            ? _stores.GetOrAdd(targetName, name => new InMemoryObjectStore { Description = "memory:" + name })
            : throw new ArgumentException($"'{targetName}' is not a memory target", nameof(targetName));

    public IReadOnlyList<string> Validate(string targetName) =>
        IsMemoryTarget(targetName) ? [] : [TargetBackendRegistration.Problem(configuration, targetName, $"Type: is not a {TypeName} target")];

    public IObjectStore Open(string targetName) => this[targetName];

    private bool IsMemoryTarget(string targetName) =>
        TargetBackendRegistration.SectionsOfType(configuration, TypeName).Any(s => s.Key == targetName);
}

internal static class MemoryTargetsServiceCollectionExtensions
{
    /// <summary>Registers <paramref name="targets"/> as the backend of <c>Type: memory</c> targets.</summary>
    public static IServiceCollection AddMemoryTargets(this IServiceCollection services, MemoryTargets targets)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITargetBackend>(targets));
        return services;
    }
}
