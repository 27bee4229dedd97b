using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Configuration;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Snapshots;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Extensions.Configuration;

namespace DrOrchestrator.Orchestration.Runbook;

/// <summary>
/// `runbook &lt;policy&gt;`: the incident page of a policy. From the catalog (the policy's targets and
/// roles, the newest snapshot present on each), or with <c>fromTarget</c> from that target's
/// repository alone (what works once the catalog is lost: only the configuration's target and
/// key are needed). Secrets are never printed, only where they come from.
/// </summary>
public sealed class RunbookService
{
    private readonly Lazy<CatalogStore> _catalog;
    private readonly Lazy<RepositoryAccess> _repositories;
    private readonly SnapshotListService _snapshots;
    private readonly IConfiguration _configuration;

    public RunbookService(Lazy<CatalogStore> catalog, Lazy<RepositoryAccess> repositories, SnapshotListService snapshots, IConfiguration configuration)
    {
        _catalog = catalog;
        _repositories = repositories;
        _snapshots = snapshots;
        _configuration = configuration;
    }

    /// <exception cref="PolicyNotFoundException">From the catalog: no such policy.</exception>
    public async Task<RunbookInfo> BuildAsync(string policyName, string? fromTarget, CancellationToken cancellationToken)
    {
        List<(string Name, string? Role)> targets;
        var notes = new List<string>();
        if (fromTarget is null)
        {
            var policy = (await _catalog.Value.GetPolicyAsync(policyName, cancellationToken).ConfigureAwait(false)
                ?? throw new PolicyNotFoundException(policyName)).ToPolicy();
            targets = [.. policy.Targets.Select(t => (t.Name, (string?)t.Role.ToString().ToLowerInvariant()))];
            if (policy.Sources.Any(s => s.Type != Core.Policies.FilesSource.TypeName))
            {
                notes.Add("database sources restore with --to-db CONNECTION in place of --to DIR");
            }
        }
        else
        {
            _ = _repositories.Value.Targets.Get(fromTarget); // an unknown name fails here, naming it
            targets = [(fromTarget, null)];
            notes.Add($"built from target {fromTarget} without the catalog: other targets of the policy are not known here");
        }

        var drills = fromTarget is null ? await _catalog.Value.ListDrillsAsync(policyName, cancellationToken).ConfigureAwait(false) : [];
        var rows = new List<RunbookTargetInfo>();
        var variables = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (name, role) in targets)
        {
            rows.Add(await DescribeAsync(policyName, name, role, fromTarget is not null, variables, drills, cancellationToken).ConfigureAwait(false));
        }
        return new RunbookInfo(policyName, DateTimeOffset.UtcNow, fromTarget is null ? "catalog" : $"target {fromTarget}",
            ConfigurationLoader.HasFile(_configuration) ? ConfigurationFile.FileName(_configuration) : null, rows, [.. variables], notes);
    }

    private async Task<RunbookTargetInfo> DescribeAsync(
        string policy, string target, string? role, bool fromRepository, SortedSet<string> variables, IReadOnlyList<DrillRecord> drills, CancellationToken cancellationToken)
    {
        var access = _repositories.Value;
        var definition = access.Targets.Get(target);
        var sections = new List<IConfigurationSection> { definition.Section };
        // A pool's credentials are its members': each member is a target of its own.
        sections.AddRange(definition.Section.GetSection("Members").GetChildren()
            .Select(m => m["Target"]).OfType<string>().Where(access.Targets.Names.Contains).Select(m => access.Targets.Get(m).Section));
        foreach (var variable in sections.SelectMany(SecretVariables))
        {
            variables.Add(variable);
        }

        var keyReference = access.KeyReferenceFor(target);
        if (keyReference.EnvironmentVariable is { } keyVariable)
        {
            variables.Add(keyVariable);
        }

        var key = keyReference.EnvironmentVariable is { } v ? $"environment variable {v}" : $"file {keyReference.FilePath}";
        string location;
        try
        {
            location = access.Targets.Open(target).Location;
        }
        catch (Exception ex) when (ex is ConfigurationException or InvalidOperationException)
        {
            location = $"cannot be opened: {ex.Message}";
        }

        var snapshots = await _snapshots.ListAsync(policy, fromRepository ? target : null, cancellationToken).ConfigureAwait(false);
        var newest = snapshots.LastOrDefault(s => s.Targets.Any(t => t.Name == target && t.Status == "present"));
        var command = newest is null ? null : $"drorch restore {policy} --from {target} --snapshot {newest.Id[..8]} --to /restore/{policy}";
        return new RunbookTargetInfo(target, role, definition.Type, location, key, newest?.Id, newest?.RecoveryPoint, newest?.TotalBytes, command,
            PredictRestore(newest?.TotalBytes, drills, target));
    }

    /// <summary>The newest snapshot's size at the throughput the newest drill from this target measured (restore and verify).</summary>
    private static string PredictRestore(long? bytes, IReadOnlyList<DrillRecord> drills, string target)
    {
        var drill = drills.Where(d => d.TargetName == target && d.BytesRestored > 0 && d.RtoAchieved > TimeSpan.Zero).MaxBy(d => d.StartedAt);
        if (drill is null || bytes is null)
        {
            return "not known (no drill measured from this target yet)";
        }

        var seconds = bytes.Value / (drill.BytesRestored / drill.RtoAchieved.TotalSeconds);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"about {TimeSpan.FromSeconds(Math.Ceiling(seconds)):c} (at the {drill.BytesRestored / drill.RtoAchieved.TotalSeconds / 1048576:0.0} MiB/s of the drill of {drill.StartedAt.UtcDateTime:yyyy-MM-dd})");
    }

    /// <summary>The names of the environment variables a target's settings refer to (any key ending in EnvironmentVariable), recursively.</summary>
    private static IEnumerable<string> SecretVariables(IConfigurationSection section) =>
        section.GetChildren().SelectMany(child =>
            child.Key.EndsWith("EnvironmentVariable", StringComparison.Ordinal) && !string.IsNullOrWhiteSpace(child.Value)
                ? [child.Value!]
                : SecretVariables(child));
}
