using System.IO.Pipelines;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Sources;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// The orchestrator's own backup in a repository (docs/decisions.md §58): an ordinary snapshot of
/// the reserved policy name <see cref="PolicyName"/> holding one streamed item,
/// <see cref="ItemPath"/>, whose content the orchestrator defines (policies, configuration without
/// secrets, the catalog's history). Being a snapshot, it is encrypted with the repository key,
/// deduplicated against earlier records by the chunker, written crash-safely by the one
/// <see cref="RepositoryWriter"/>, kept alive by prune's mark phase, verified by check and copied
/// by copy — nothing in the repository format knows it exists.
/// </summary>
public static class SystemRecords
{
    /// <summary>The reserved policy name: a leading dot, which no policy name may have (<c>^[a-z0-9][a-z0-9-]*$</c>).</summary>
    public const string PolicyName = ".drorch-system";

    /// <summary>The one item of a record snapshot.</summary>
    public const string ItemPath = "drorch-system/record.jsonl";

    /// <summary>The snapshot source type of a record.</summary>
    public const string SourceType = "system";

    /// <summary>
    /// How many records a prune keeps on a target: the newest 10, and the newest of each of the
    /// last 30 days — a month of history to go back to if the newest record is bad, at a cost of
    /// kilobytes (records deduplicate against each other).
    /// </summary>
    public static RetentionRules Retention { get; } = new(KeepLast: 10, KeepDaily: 30, KeepWeekly: 0, KeepMonthly: 0, KeepYearly: 0);

    /// <summary>True for a record snapshot (which user-facing listings leave out).</summary>
    public static bool IsRecord(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return snapshot.PolicyName == PolicyName;
    }

    /// <summary>
    /// Writes one record: <paramref name="produce"/> writes the content into a pipe that the writer
    /// chunks as it goes (no temp file, no whole record in memory), then the snapshot is committed.
    /// A failure of either side abandons the writer, so no partial record becomes visible.
    /// </summary>
    public static async Task<Snapshot> WriteAsync(BackupRepository repository, DateTimeOffset recordedAt, Func<Stream, CancellationToken, Task> produce, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(produce);
        var writer = RepositoryWriter.Start(repository);
        await using (writer.ConfigureAwait(false))
        {
            var pipe = new Pipe();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var producer = ProduceAsync(pipe.Writer, produce, linked.Token);
            StoredStream stored;
            try
            {
                stored = await writer.AddStreamAsync(ItemPath, pipe.Reader.AsStream(), linked.Token).ConfigureAwait(false);
            }
            catch
            {
                await linked.CancelAsync().ConfigureAwait(false);
                await ObserveAsync(producer).ConfigureAwait(false);
                throw;
            }

            await producer.ConfigureAwait(false);
            writer.AddSource(new SnapshotSource(SourceType, [ItemPath.Split('/')[0]], recordedAt, [], [], [], null));
            var figures = SourceFigures.Zero with { TotalFiles = 1, FilesNew = 1, Directories = 1, TotalBytes = stored.Length, BytesRead = stored.Length };
            return await writer.CommitSnapshotAsync(new SnapshotDraft(PolicyName, null, null, figures), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Opens a record's content for reading; its SHA-256 is checked at the end of the stream.</summary>
    public static Task<Stream> OpenAsync(BackupRepository repository, Snapshot record, CancellationToken ct) =>
        SnapshotItems.OpenAsync(repository, record, ItemPath, ct);

    private static async Task ProduceAsync(PipeWriter pipe, Func<Stream, CancellationToken, Task> produce, CancellationToken ct)
    {
        try
        {
            var stream = pipe.AsStream(leaveOpen: true);
            await using (stream.ConfigureAwait(false))
            {
                await produce(stream, ct).ConfigureAwait(false);
                await stream.FlushAsync(ct).ConfigureAwait(false);
            }

            await pipe.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The reader sees the failure instead of a clean end: a truncated record is never committed.
            await pipe.CompleteAsync(ex).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task ObserveAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The consumer's failure is the one the caller sees.
        }
    }
}
