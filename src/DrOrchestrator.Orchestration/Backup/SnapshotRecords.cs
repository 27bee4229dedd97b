using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Orchestration.Backup;

/// <summary>Maps a repository snapshot to the figures the catalog records.</summary>
public static class SnapshotRecords
{
    public static SnapshotFigures Figures(Snapshot snapshot) => new(
        snapshot.Id,
        SnapshotKind.Files,
        snapshot.Time,
        snapshot.RecoveryPoint,
        snapshot.Hostname,
        snapshot.TreeId,
        snapshot.ParentId,
        snapshot.Summary.TotalFiles,
        snapshot.Summary.Directories,
        snapshot.Summary.TotalBytes,
        snapshot.Summary.BytesNew,
        snapshot.Summary.BytesStored);
}
