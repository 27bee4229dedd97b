using DrOrchestrator.Core.Configuration;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Composite;
using DrOrchestrator.Core.Storage.Decorators;
using DrOrchestrator.Core.Storage.Targets;
using DrOrchestrator.Orchestration.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Orchestration.Targets;

/// <summary>
/// The targets named in configuration (<c>Targets:&lt;name&gt;</c>), validated up front and
/// opened on demand as <see cref="IObjectStore"/>s wrapped in the retry decorator.
/// </summary>
/// <remarks>
/// Each backend registers itself (<see cref="ITargetBackend"/>, from <c>AddLocalTargets()</c>,
/// <c>AddS3Targets()</c>, <c>AddAzureBlobTargets()</c>) with typed options — no reflection, no
/// URL-plus-dictionary construction (a lesson from Duplicati). Credentials are never part of the
/// section: backends read them from the environment variables the section names.
/// </remarks>
public sealed class TargetRegistry
{
    private readonly IConfiguration _configuration;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Dictionary<string, ITargetBackend> _backends;
    private readonly Dictionary<string, TargetDefinition> _targets;

    public TargetRegistry(IConfiguration configuration, IEnumerable<ITargetBackend> backends, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(backends);
        _configuration = configuration;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _backends = backends.ToDictionary(b => b.Type, StringComparer.Ordinal);
        _targets = LoadDefinitions();
    }

    public IReadOnlyCollection<string> Names => _targets.Keys;

    /// <summary>The target types that can be configured: every registered backend, then <c>pool</c>.</summary>
    public IReadOnlyList<string> KnownTypes => [.. _backends.Keys, PoolTargets.Type];

    public TargetDefinition Get(string name) =>
        _targets.TryGetValue(name, out var target)
            ? target
            : throw new ConfigurationException(
                $"{ConfigurationFile.FileName(_configuration)}: Targets:{name}: no such target (configured: {string.Join(", ", _targets.Keys.Order(StringComparer.Ordinal))})");

    /// <summary>Opens the target's object store (with retries on transient failures).</summary>
    public IObjectStore Open(string name)
    {
        var target = Get(name);
        var store = target.Type == PoolTargets.Type
            ? new PoolObjectStore(target.Name, PoolTargets.Membership(target, this))
            : Hedged(target, _backends[target.Type].Open(name));
        // Per-target retry budget (Targets:<name>:Retry): a slow WAN link wants more patience
        // than a local disk, and tests of outages want less.
        var retry = ConfigurationBinding.Bind<RetryOptions>(_configuration, target.Section.GetSection("Retry"));
        return new RetryingObjectStore(store, retry, _loggerFactory.CreateLogger<RetryingObjectStore>());
    }

    /// <summary>The backend's own store for a single (non-pool) target, without decorators: for `target init`.</summary>
    public IObjectStore OpenBackend(string name)
    {
        var target = Get(name);
        return target.Type == PoolTargets.Type
            ? throw new ConfigurationException($"{ConfigurationFile.FileName(_configuration)}: Targets:{name}: is a pool; run `drorch target init` on each of its members")
            : _backends[target.Type].Open(name);
    }

    /// <summary>
    /// Opens the target for reading only (restore, check, the source of a copy): puts and deletes
    /// are refused, so no bug above can modify the repository an incident depends on.
    /// </summary>
    public IObjectStore OpenReadOnly(string name) => new ReadOnlyObjectStore(Open(name));

    /// <summary>
    /// Opens a pool target as the pool itself (its members carry the retries), for membership
    /// operations such as rebalancing.
    /// </summary>
    public PoolObjectStore OpenPool(string name)
    {
        var target = Get(name);
        return target.Type == PoolTargets.Type
            ? new PoolObjectStore(name, PoolTargets.Membership(target, this))
            : throw new ConfigurationException($"{ConfigurationFile.FileName(_configuration)}: Targets:{name}: is a {target.Type} target, not a pool");
    }

    /// <summary>
    /// A network backend's store behind the hedging decorator (Targets:&lt;name&gt;:Hedging, on by
    /// default): inside the retries, so each retry may hedge too, and per store, so a pool's members
    /// (opened here one by one) learn their own latencies. A local directory is never hedged.
    /// </summary>
    private IObjectStore Hedged(TargetDefinition target, IObjectStore store)
    {
        var hedging = HedgingOptionsOf(target);
        return hedging.Enabled && !store.Capabilities.IsLocal
            ? new HedgingObjectStore(store, hedging, _loggerFactory.CreateLogger<HedgingObjectStore>())
            : store;
    }

    private HedgingOptions HedgingOptionsOf(TargetDefinition target) =>
        ConfigurationBinding.Bind<HedgingOptions>(_configuration, target.Section.GetSection("Hedging"));

    private Dictionary<string, TargetDefinition> LoadDefinitions()
    {
        var file = ConfigurationFile.FileName(_configuration);
        var result = new Dictionary<string, TargetDefinition>(StringComparer.Ordinal);
        foreach (var section in _configuration.GetSection(TargetBackendRegistration.TargetsSection).GetChildren())
        {
            var options = section.Get<TargetOptions>() ?? new TargetOptions();
            var type = options.Type.Trim().ToLowerInvariant();
            if (!KnownTypes.Contains(type))
            {
                throw new ConfigurationException(
                    $"{file}: Targets:{section.Key}:Type: unknown target type '{options.Type}' (expected {string.Join(", ", KnownTypes)})");
            }

            var definition = new TargetDefinition(section.Key, type, section, options.RepositoryKey);
            var problem = type == PoolTargets.Type
                ? PoolTargets.Validate(definition, _configuration)
                : _backends[type].Validate(section.Key).FirstOrDefault();
            if (problem is not null)
            {
                throw new ConfigurationException(problem);
            }

            if (HedgingOptionsOf(definition).Validate() is [var hedging, ..])
            {
                throw new ConfigurationException($"{file}: Targets:{section.Key}:{hedging}");
            }

            result.Add(section.Key, definition);
        }

        return result;
    }
}

/// <summary>One configured target: its name, type and raw section (bound by its backend).</summary>
public sealed record TargetDefinition(string Name, string Type, IConfigurationSection Section, SecretReferenceOptions? RepositoryKey);
