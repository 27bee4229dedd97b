using DrOrchestrator.Core.Repository;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Core.Restore;

/// <summary>Restores a snapshot (or part of it) into a directory, verifying every file's SHA-256.</summary>
public sealed class Restorer
{
    private readonly ILogger _logger;

    public Restorer(ILogger<Restorer>? logger = null)
    {
        _logger = logger ?? NullLogger<Restorer>.Instance;
    }

    public Task<RestoreResult> RestoreAsync(BackupRepository repo, RestoreRequest request, IProgress<RestoreProgress>? progress, CancellationToken ct) =>
        throw new NotImplementedException(_logger.ToString());
}
