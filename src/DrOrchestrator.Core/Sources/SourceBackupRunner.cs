using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Sources;

/// <summary>
/// One run of a policy = one snapshot holding every source: starts a writer, lets each source add
/// its items (one after the other, so a database dump does not compete with the file pipeline
/// for the same cores), then commits. Any source failing, or cancellation, abandons the writer:
/// no snapshot becomes visible.
/// </summary>
public static class SourceBackupRunner
{
    /// <exception cref="ArgumentException">No sources, or two sources claiming the same top-level entry.</exception>
    public static async Task<BackupResult> RunAsync(
        BackupRepository repository, IReadOnlyList<IBackupSource> sources, SnapshotRequest request, IProgress<BackupProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(request);
        if (sources.Count == 0)
        {
            throw new ArgumentException("a backup needs at least one source");
        }

        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            foreach (var entry in source.Entries)
            {
                if (!owners.TryAdd(entry, source.Type))
                {
                    throw new ArgumentException($"sources {owners[entry]} and {source.Type} both want the snapshot entry '{entry}'");
                }
            }
        }

        var writer = RepositoryWriter.Start(repository);
        await using (writer.ConfigureAwait(false))
        {
            var context = new SourceBackupContext(request.Parent, progress);
            var figures = SourceFigures.Zero;
            var warnings = new List<BackupIssue>();
            var errors = new List<BackupIssue>();
            foreach (var source in sources)
            {
                var added = await source.AddToAsync(writer, context, ct).ConfigureAwait(false);
                figures += added.Figures;
                warnings.AddRange(added.Warnings);
                errors.AddRange(added.Errors);
            }

            var snapshot = await writer.CommitSnapshotAsync(
                new SnapshotDraft(request.PolicyName, request.Tags, request.Parent?.Id, figures), ct).ConfigureAwait(false);
            return new BackupResult(snapshot, warnings, errors);
        }
    }
}

/// <summary>What the snapshot records about the run.</summary>
public sealed record SnapshotRequest(string? PolicyName, Snapshot? Parent, IReadOnlyDictionary<string, string>? Tags);
