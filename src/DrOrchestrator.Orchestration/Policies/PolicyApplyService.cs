using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Targets;

namespace DrOrchestrator.Orchestration.Policies;

/// <summary>
/// Validates policy files against the configured targets and applies them to the catalog —
/// all or nothing: a file with any problem changes nothing.
/// </summary>
public sealed class PolicyApplyService
{
    private readonly CatalogStore _catalog;

    /// <summary>Lazy: `policy list` reads the catalog only and neither binds nor validates the targets.</summary>
    private readonly Lazy<TargetRegistry> _targets;

    private readonly CatalogRebuild.SystemBackupService? _systemBackup;

    public PolicyApplyService(CatalogStore catalog, Lazy<TargetRegistry> targets, CatalogRebuild.SystemBackupService? systemBackup = null)
    {
        _catalog = catalog;
        _targets = targets;
        _systemBackup = systemBackup;
    }

    private TargetRegistry Targets => _targets.Value;

    public PolicyParseResult Validate(string path)
    {
        if (!File.Exists(path))
        {
            return new PolicyParseResult([], [new PolicyProblem(path, 0, "", "file not found")]);
        }

        return PolicyFileParser.Parse(path, new HashSet<string>(Targets.Names, StringComparer.Ordinal));
    }

    /// <summary>Validates every file; the problems of all of them are thrown together by <see cref="PolicyFilesValidation.ThrowIfInvalid"/>.</summary>
    public PolicyFilesValidation ValidateFiles(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var valid = new List<ValidPolicyFile>();
        var problems = new List<PolicyProblem>();
        foreach (var path in paths)
        {
            var result = Validate(path);
            problems.AddRange(result.Problems);
            if (result.IsValid)
            {
                valid.Add(new ValidPolicyFile(path, [.. result.Policies.Select(p => p.Name)]));
            }
        }

        return new PolicyFilesValidation(valid, problems);
    }

    /// <summary>`policy apply FILE`: <see cref="ApplyAsync"/>, as the front doors show the result.</summary>
    public async Task<IReadOnlyList<PolicyInfo>> ApplyFileAsync(string path, CancellationToken cancellationToken) =>
        [.. (await ApplyAsync(path, cancellationToken).ConfigureAwait(false)).Select(PolicyInfo.From)];

    /// <summary>`policy list`: the policies stored in the catalog.</summary>
    public async Task<IReadOnlyList<PolicyInfo>> ListAsync(CancellationToken cancellationToken) =>
        [.. (await _catalog.ListPoliciesAsync(cancellationToken).ConfigureAwait(false)).Select(p => PolicyInfo.From(p.ToPolicy()))];


    /// <summary>Validates policy YAML that did not come from a file (the API's request body), named <paramref name="fileName"/> in problems.</summary>
    public PolicyParseResult ValidateText(string yaml, string fileName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return PolicyFileParser.Parse(new StringReader(yaml), fileName, new HashSet<string>(Targets.Names, StringComparer.Ordinal));
    }

    /// <summary>Applies every policy of the file, or throws <see cref="PolicyValidationException"/> and applies none; recorded as changed by <c>cli</c>.</summary>
    public Task<IReadOnlyList<Policy>> ApplyAsync(string path, CancellationToken cancellationToken) =>
        ApplyAsync(Validate(path), CatalogStore.CliActor, cancellationToken);

    /// <summary>
    /// Applies every policy of an already validated <paramref name="result"/>, or throws
    /// <see cref="PolicyValidationException"/> and applies none. Each change is recorded in the
    /// catalog with <paramref name="changedBy"/> and the canonical text before and after.
    /// </summary>
    public async Task<IReadOnlyList<Policy>> ApplyAsync(PolicyParseResult result, string changedBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!result.IsValid)
        {
            throw new PolicyValidationException(result.Problems);
        }

        // The catalog knows targets by name and type only — never their endpoints' credentials.
        foreach (var name in result.Policies.SelectMany(p => p.Targets).Select(t => t.Name).Distinct(StringComparer.Ordinal))
        {
            await _catalog.UpsertTargetAsync(new CatalogTarget(name, Targets.Get(name).Type, null), cancellationToken).ConfigureAwait(false);
        }

        var changed = false;
        foreach (var policy in result.Policies)
        {
            changed |= await _catalog.UpsertPolicyAsync(policy, PolicySerializer.Serialize(policy), changedBy, cancellationToken).ConfigureAwait(false) != PolicyChange.Unchanged;
        }

        if (changed && _systemBackup is not null)
        {
            // After every policy change, every target of every policy gets a new system record (docs/decisions.md §58).
            await _systemBackup.WriteQuietlyAsync(null, onlyIfDue: false, cancellationToken).ConfigureAwait(false);
        }

        return result.Policies;
    }
}

/// <summary>The result of validating several policy files: the valid ones, and every problem of the others.</summary>
public sealed record PolicyFilesValidation(IReadOnlyList<ValidPolicyFile> Valid, IReadOnlyList<PolicyProblem> Problems)
{
    /// <exception cref="PolicyValidationException">Any file had a problem.</exception>
    public void ThrowIfInvalid()
    {
        if (Problems.Count > 0)
        {
            throw new PolicyValidationException(Problems);
        }
    }
}

/// <summary>A policy file has problems; each is a <c>file:line: field: message</c> line.</summary>
public sealed class PolicyValidationException : Exception
{
    public PolicyValidationException(IReadOnlyList<PolicyProblem> problems)
        : base(problems.Count == 1 ? problems[0].ToString() : $"{problems[0]} (and {problems.Count - 1} more problems)")
    {
        Problems = problems;
    }

    public IReadOnlyList<PolicyProblem> Problems { get; }
}
