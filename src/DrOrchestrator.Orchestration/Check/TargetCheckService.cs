using DrOrchestrator.Core.Check;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Targets;

namespace DrOrchestrator.Orchestration.Check;

/// <summary>
/// Runs the repository checker on one configured target and streams its findings. The target is
/// opened read-only: a check reports, it never repairs.
/// </summary>
public sealed class TargetCheckService
{
    private readonly RepositoryAccess _repositories;
    private readonly Checker _checker;

    public TargetCheckService(RepositoryAccess repositories, Checker checker)
    {
        _repositories = repositories;
        _checker = checker;
    }

    /// <summary>The findings as the front doors hand them out.</summary>
    public async IAsyncEnumerable<CheckFindingInfo> CheckFindingsAsync(
        string target, bool readData, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var finding in CheckAsync(target, readData, cancellationToken).ConfigureAwait(false))
        {
            yield return CheckFindingInfo.From(finding);
        }
    }

    public async IAsyncEnumerable<CheckFinding> CheckAsync(
        string target, bool readData, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var repository = await _repositories.OpenReadOnlyAsync(target, cancellationToken).ConfigureAwait(false);
        await foreach (var finding in _checker.CheckAsync(repository, new CheckOptions(readData), cancellationToken).ConfigureAwait(false))
        {
            yield return finding;
        }
    }
}
