using DrOrchestrator.Catalog;

namespace DrOrchestrator.Orchestration.Monitoring;

/// <summary>The watchdog's latest pass, read by the metrics (scrapes must not query the catalog).</summary>
public sealed class ObjectivesSnapshot
{
    private volatile Published? _latest;

    public ObjectivesReport? Report => _latest?.Report;

    public IReadOnlyList<BackupByteTotals> BackupBytes => _latest?.BackupBytes ?? [];

    public void Publish(ObjectivesReport report, IReadOnlyList<BackupByteTotals> backupBytes) => _latest = new Published(report, backupBytes);

    private sealed record Published(ObjectivesReport Report, IReadOnlyList<BackupByteTotals> BackupBytes);
}
