using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Restore;

namespace DrOrchestrator.Core.Tests.Backup;

public sealed class ProgressTests
{
    private sealed class Recorder<T> : IProgress<T>
    {
        public List<T> Reports { get; } = [];

        public void Report(T value)
        {
            lock (Reports)
            {
                Reports.Add(value);
            }
        }
    }

    [Fact]
    public async Task Backup_and_restore_report_final_totals()
    {
        using var dir = new TempDir();
        EdgeCaseTree.Create(dir.Sub("src"));
        var (_, repo) = await TestSupport.NewRepoAsync();
        var backupProgress = new Recorder<BackupProgress>();
        var restoreProgress = new Recorder<RestoreProgress>();

        var result = await new Archiver().BackupAsync(repo, TestSupport.Request(dir.Sub("src")), backupProgress, CancellationToken.None);
        await new Restorer().RestoreAsync(repo, new RestoreRequest(result.Snapshot, dir.Sub("out"), [], false), restoreProgress, CancellationToken.None);

        var lastBackup = backupProgress.Reports[^1];
        Assert.Equal(14, lastBackup.FilesDone);
        Assert.Equal(14, lastBackup.TotalFiles);
        Assert.Equal(result.Snapshot.Summary.TotalBytes, lastBackup.TotalBytes);
        Assert.Equal(result.Snapshot.Summary.TotalBytes, lastBackup.BytesDone);
        var lastRestore = restoreProgress.Reports[^1];
        // The totals are final; CurrentPath names whichever file finished last (parallel writers).
        Assert.Equal(new RestoreProgress(14, result.Snapshot.Summary.TotalBytes, 14, result.Snapshot.Summary.TotalBytes), lastRestore with { CurrentPath = null });
    }
}
