using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Sources;

namespace DrOrchestrator.Core.Backup;

/// <summary>
/// A policy's <c>files</c> sources as one <see cref="IBackupSource"/>: every tree goes through one
/// run of the archiver's pipeline (as before sources existed, so the same trees give the same
/// tree ids), one <see cref="SnapshotSource"/> per tree.
/// </summary>
public sealed class FileTreesSource(Archiver archiver, IReadOnlyList<FileTree> trees) : IBackupSource
{
    public string Type => Policies.FilesSource.TypeName;

    public IReadOnlyList<string> Entries { get; } =
        [.. trees.SelectMany(t => t.Paths).Select(p => Path.GetFileName(Path.GetFullPath(p).TrimEnd('/'))).Where(n => n.Length > 0)];

    public async Task<SourceAdded> AddToAsync(RepositoryWriter writer, SourceBackupContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var added = await archiver.AddFilesAsync(writer, trees, context.Parent, context.Progress, ct).ConfigureAwait(false);
        return new SourceAdded(added.Figures, added.Warnings, added.Errors);
    }
}
