using DrOrchestrator.Core.Repository;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Core.Check;

/// <summary>Verifies a repository's structure and, optionally, every byte of its data.</summary>
public sealed class Checker
{
    private readonly ILogger _logger;

    public Checker(ILogger<Checker>? logger = null)
    {
        _logger = logger ?? NullLogger<Checker>.Instance;
    }

    /// <summary>Streams findings; never stops at the first problem.</summary>
    public IAsyncEnumerable<CheckFinding> CheckAsync(BackupRepository repo, CheckOptions options, CancellationToken ct) =>
        throw new NotImplementedException(_logger.ToString());
}
