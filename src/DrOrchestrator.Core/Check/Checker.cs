using System.Runtime.CompilerServices;
using System.Threading.Channels;
using DrOrchestrator.Core.Repository;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Core.Check;

/// <summary>
/// Verifies a repository's structure and, optionally, every byte of its data (see README.md in
/// this folder). Findings stream out as they are found; a damaged object becomes a finding, never
/// an exception. Only cancellation and a store that fails for everything end the stream early.
/// </summary>
public sealed class Checker
{
    private readonly ILogger _logger;

    public Checker(ILogger<Checker>? logger = null)
    {
        _logger = logger ?? NullLogger<Checker>.Instance;
    }

    /// <summary>Streams findings; never stops at the first problem.</summary>
    public async IAsyncEnumerable<CheckFinding> CheckAsync(BackupRepository repo, CheckOptions options, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(repo);
        ArgumentNullException.ThrowIfNull(options);
        var channel = Channel.CreateUnbounded<CheckFinding>(new UnboundedChannelOptions { SingleReader = true });
        var run = new CheckRun(repo, channel.Writer);
        var producer = Task.Run(async () =>
        {
            try
            {
                await run.RunAsync(options.ReadData, options.Progress, ct).ConfigureAwait(false);
                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
        }, CancellationToken.None);

        var errors = 0;
        await foreach (var finding in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            errors += finding.Severity == CheckSeverity.Error ? 1 : 0;
            yield return finding;
        }

        await producer.ConfigureAwait(false);
        Log.CheckFinished(_logger, repo.Store.Description, errors);
    }
}
