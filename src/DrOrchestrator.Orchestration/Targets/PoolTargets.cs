using DrOrchestrator.Core.Storage.Composite;
using DrOrchestrator.Core.Storage.Targets;
using DrOrchestrator.Orchestration.Configuration;
using Microsoft.Extensions.Configuration;

namespace DrOrchestrator.Orchestration.Targets;

/// <summary>
/// Pool targets (<c>Type: pool</c>). Not a backend of their own but a composite over other
/// configured targets, so the registry builds them itself from its members.
/// </summary>
internal static class PoolTargets
{
    public const string Type = "pool";

    /// <summary>The pool's membership as configured (members opened through the registry, with retries).</summary>
    public static PoolMembership Membership(TargetDefinition target, TargetRegistry registry)
    {
        var options = target.Section.Get<PoolTargetOptions>() ?? new PoolTargetOptions();
        return new PoolMembership(
            options.Members.Select(m => new PoolMember(m.Target, registry.Open(m.Target), m.Weight)), options.ReplicationFactor);
    }

    /// <summary>The first problem of the pool's definition as a full one-line message, or null.</summary>
    public static string? Validate(TargetDefinition target, IConfiguration configuration)
    {
        var problem = FirstProblem(target, configuration);
        return problem is null ? null : TargetBackendRegistration.Problem(configuration, target.Name, problem);
    }

    private static string? FirstProblem(TargetDefinition target, IConfiguration configuration)
    {
        var options = target.Section.Get<PoolTargetOptions>() ?? new PoolTargetOptions();
        var targets = configuration.GetSection(TargetBackendRegistration.TargetsSection);
        if (options.Members.Count == 0)
        {
            return "Members: a pool needs at least one member target";
        }

        foreach (var (member, i) in options.Members.Select((m, i) => (m, i)))
        {
            var type = targets.GetSection(member.Target)["Type"];
            if (string.IsNullOrWhiteSpace(member.Target) || type is null)
            {
                return $"Members:{i}:Target: '{member.Target}' is not a configured target";
            }

            if (type.Equals(Type, StringComparison.OrdinalIgnoreCase))
            {
                return $"Members:{i}:Target: '{member.Target}' is a pool; pools cannot contain pools";
            }

            if (member.Weight <= 0)
            {
                return $"Members:{i}:Weight: must be positive (got {member.Weight})";
            }
        }

        return options.ReplicationFactor < 1 || options.ReplicationFactor > options.Members.Count
            ? $"ReplicationFactor: must be between 1 and the number of members ({options.Members.Count}), got {options.ReplicationFactor}"
            : null;
    }
}
