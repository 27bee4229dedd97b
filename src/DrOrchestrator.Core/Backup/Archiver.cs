using DrOrchestrator.Core.Repository;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Core.Backup;

/// <summary>Backs up files and directories into a repository (see README.md in this folder).</summary>
public sealed class Archiver
{
    private readonly ILogger _logger;

    public Archiver(ILogger<Archiver>? logger = null)
    {
        _logger = logger ?? NullLogger<Archiver>.Instance;
    }

    /// <summary>
    /// Runs one backup and stores its snapshot last. Unreadable items end up in
    /// <see cref="BackupResult.Errors"/>; store failures and cancellation throw and leave no snapshot.
    /// </summary>
    public Task<BackupResult> BackupAsync(BackupRepository repo, FileBackupRequest request, IProgress<BackupProgress>? progress, CancellationToken ct) =>
        throw new NotImplementedException(_logger.ToString());
}
