using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Sources;

/// <summary>
/// One source of a snapshot: a file tree, or a database producing named streams such as
/// <c>pg/orders/dump.sql</c>. It adds its items under its own top-level entries through the
/// writer (<see cref="RepositoryWriter.AddStreamAsync"/> or the file archiver) and records itself
/// with <see cref="RepositoryWriter.AddSource"/> (type, entries, recovery point, manifest blob).
/// It never commits: <see cref="SourceBackupRunner"/> commits once every source of the run has
/// added its items, so a source that throws leaves no snapshot behind.
/// </summary>
public interface IBackupSource
{
    /// <summary>The policy's source type (<c>files</c>, <c>postgres</c>, …); the <see cref="SnapshotSource.Type"/> it records.</summary>
    string Type { get; }

    /// <summary>The top-level snapshot entries this source will add (known before it runs, to refuse collisions early).</summary>
    IReadOnlyList<string> Entries { get; }

    /// <summary>Adds the source's items and its <see cref="SnapshotSource"/> to <paramref name="writer"/>.</summary>
    /// <exception cref="SourceFailedException">The source could not be read as a whole (a dump tool failed, the server refused).</exception>
    Task<SourceAdded> AddToAsync(RepositoryWriter writer, SourceBackupContext context, CancellationToken ct);
}

/// <summary>What a source gets from the run besides the writer.</summary>
/// <param name="Parent">The policy's previous snapshot, for change detection (files) — null = none.</param>
/// <param name="Progress">Where file progress goes; database sources may ignore it.</param>
public sealed record SourceBackupContext(Snapshot? Parent, IProgress<BackupProgress>? Progress);

/// <summary>What a source added: figures for the snapshot's summary, and per-item problems that did not fail the run.</summary>
public sealed record SourceAdded(SourceFigures Figures, IReadOnlyList<BackupIssue> Warnings, IReadOnlyList<BackupIssue> Errors)
{
    public static SourceAdded Empty { get; } = new(SourceFigures.Zero, [], []);
}
