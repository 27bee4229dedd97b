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
    public IAsyncEnumerable<CheckFindingInfo> CheckFindingsAsync(string target, bool readData, CancellationToken cancellationToken) =>
        CheckFindingsAsync(target, readData, null, cancellationToken);

    /// <summary>The findings as the front doors hand them out; with --read-data, packs (as files) and bytes read on <paramref name="progress"/>.</summary>
    public async IAsyncEnumerable<CheckFindingInfo> CheckFindingsAsync(
        string target, bool readData, IProgress<ProgressSample>? progress, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var options = new CheckOptions(readData)
        {
            Progress = ProgressSampleAdapter<CheckProgress>.Wrap(progress, p => new ProgressSample(p.PacksDone, p.BytesDone, p.TotalBytes, p.CurrentPack)),
        };
        await foreach (var finding in CheckAsync(target, options, cancellationToken).ConfigureAwait(false))
        {
            yield return CheckFindingInfo.From(finding);
        }
    }

    public IAsyncEnumerable<CheckFinding> CheckAsync(string target, bool readData, CancellationToken cancellationToken) =>
        CheckAsync(target, new CheckOptions(readData), cancellationToken);

    /// <remarks>
    /// A pool is first checked as a pool (<see cref="PoolChecker"/>: packs below R copies, members
    /// lacking metadata), then as a repository through its members' union.
    /// </remarks>
    public async IAsyncEnumerable<CheckFinding> CheckAsync(
        string target, CheckOptions options, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (_repositories.Targets.Get(target).Type == PoolTargets.Type)
        {
            await foreach (var finding in PoolChecker.CheckAsync(_repositories.Targets.OpenPool(target), cancellationToken).ConfigureAwait(false))
            {
                yield return finding;
            }
        }

        await using var repository = await _repositories.OpenForCheckAsync(target, cancellationToken).ConfigureAwait(false);
        await foreach (var finding in _checker.CheckAsync(repository, options, cancellationToken).ConfigureAwait(false))
        {
            yield return finding;
        }
    }
}
