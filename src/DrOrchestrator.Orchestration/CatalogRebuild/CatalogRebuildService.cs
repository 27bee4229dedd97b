using System.Text;
using System.Text.Json;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.CatalogRebuild;

/// <summary>
/// `catalog rebuild --from TARGET` (docs/decisions.md §58): fills an empty catalog from one
/// target's repository. The newest readable system record gives the policies and the history
/// (runs, drills, presence per target, policy changes); then the repository itself is scanned:
/// snapshots the record does not know (taken after it) are added, present on this target since
/// their object was written; snapshots the record had there but the repository no longer holds
/// (pruned after it) lose their presence. Everything after the record is reported.
/// </summary>
public sealed class CatalogRebuildService
{
    private readonly CatalogStore _catalog;
    private readonly RepositoryAccess _repositories;
    private readonly ILogger<CatalogRebuildService> _logger;

    public CatalogRebuildService(CatalogStore catalog, RepositoryAccess repositories, ILogger<CatalogRebuildService> logger)
    {
        _catalog = catalog;
        _repositories = repositories;
        _logger = logger;
    }

    /// <exception cref="CatalogNotEmptyException">The catalog already holds policies, snapshots or runs.</exception>
    public Task<CatalogRebuildInfo> RebuildAsync(string fromTarget, CancellationToken cancellationToken) =>
        RebuildAsync(fromTarget, writeConfigurationTo: null, overwrite: false, cancellationToken);

    /// <param name="writeConfigurationTo">
    /// Where to write the configuration the record holds (secret references only), as an
    /// <c>appsettings.json</c>; null: not written. Checked before anything is rebuilt.
    /// </param>
    /// <param name="overwrite">Replace a file at <paramref name="writeConfigurationTo"/> (otherwise refused, exit 2).</param>
    /// <exception cref="CatalogNotEmptyException">The catalog already holds policies, snapshots or runs.</exception>
    public async Task<CatalogRebuildInfo> RebuildAsync(string fromTarget, string? writeConfigurationTo, bool overwrite, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(fromTarget);
        if (writeConfigurationTo is not null)
        {
            RecoveredConfiguration.EnsureWritable(writeConfigurationTo, overwrite);
        }

        var held = await _catalog.CountHistoryAsync(cancellationToken).ConfigureAwait(false);
        if (held != (0, 0, 0))
        {
            throw new CatalogNotEmptyException(
                $"the catalog is not empty ({held.Policies} policies, {held.Snapshots} snapshots, {held.Runs} runs): `catalog rebuild` fills only an empty catalog; "
                + "move the catalog file aside (or point Catalog:ConnectionString at a new database) and run it again");
        }

        var type = _repositories.Targets.Get(fromTarget).Type;
        await using var repository = await _repositories.OpenReadOnlyAsync(fromTarget, cancellationToken).ConfigureAwait(false);
        var scan = await ScanAsync(repository, cancellationToken).ConfigureAwait(false);
        var notes = new List<string>();
        if (scan.Unreadable > 0)
        {
            notes.Add($"{scan.Unreadable} snapshot object(s) could not be read and were left out (`drorch check {fromTarget}` names them)");
        }

        var restored = await ImportNewestRecordAsync(repository, fromTarget, scan, notes, cancellationToken).ConfigureAwait(false);
        await _catalog.UpsertTargetAsync(new CatalogTarget(fromTarget, type, null), cancellationToken).ConfigureAwait(false);

        var known = (await _catalog.ListSnapshotsAsync(null, cancellationToken).ConfigureAwait(false))
            .ToDictionary(s => s.Figures.SnapshotId, StringComparer.Ordinal);
        var inRepository = scan.Snapshots.Where(s => !SystemRecords.IsRecord(s.Snapshot)).ToList();
        var newHere = inRepository
            .Where(s => !known.TryGetValue(s.Snapshot.Id, out var k) || !k.Presence.Any(p => p.TargetName == fromTarget && p.Status == PresenceStatus.Present))
            .ToList();
        var added = newHere.Where(s => !known.ContainsKey(s.Snapshot.Id)).ToList();
        var presentSince = newHere.Where(s => known.ContainsKey(s.Snapshot.Id)).ToList();
        await _catalog.AddScannedSnapshotsAsync(
            fromTarget,
            [.. newHere.Select(s => new ScannedSnapshot(s.Snapshot.PolicyName ?? "unnamed", SnapshotRecords.Figures(s.Snapshot), s.WrittenAt ?? s.Snapshot.Time))],
            cancellationToken).ConfigureAwait(false);

        var ids = inRepository.Select(s => s.Snapshot.Id).ToHashSet(StringComparer.Ordinal);
        var gone = known.Values
            .Where(k => !ids.Contains(k.Figures.SnapshotId) && k.Presence.Any(p => p.TargetName == fromTarget && p.Status == PresenceStatus.Present))
            .ToList();
        await _catalog.RemoveSnapshotPresenceAsync(fromTarget, [.. gone.Select(g => g.Figures.SnapshotId)], cancellationToken).ConfigureAwait(false);
        if (added.Any(s => s.Snapshot.PolicyName is { } name && restored.Counts is not null && !restored.PolicyNames.Contains(name)))
        {
            notes.Add("snapshots of policies the record does not hold were added under deleted placeholder policies: `drorch policy apply` their files to resume them");
        }

        int? settingsWritten = null;
        if (writeConfigurationTo is not null)
        {
            if (restored.Configuration is { } settings)
            {
                settingsWritten = await RecoveredConfiguration.WriteAsync(writeConfigurationTo, settings, overwrite, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                notes.Add($"no configuration written to {writeConfigurationTo}: no readable system record holds one");
            }
        }

        Log.Rebuilt(_logger, fromTarget, restored.Record?.Id ?? "none", restored.Counts?.Snapshots ?? 0, added.Count, gone.Count);
        return new CatalogRebuildInfo(
            fromTarget,
            restored.Record?.Id,
            restored.Header?.RecordedAt ?? restored.Record?.Time,
            restored.Header?.Host ?? restored.Record?.Hostname,
            restored.Counts?.Policies ?? 0,
            restored.Counts?.Snapshots ?? 0,
            restored.Counts?.Runs ?? 0,
            restored.Counts?.Drills ?? 0,
            restored.Counts?.PolicyChanges ?? 0,
            [.. added.Select(Info)],
            [.. presentSince.Select(Info)],
            [.. gone.Select(g => new CatalogRebuildSnapshotInfo(g.PolicyName, g.Figures.SnapshotId, g.Figures.Time)).OrderBy(g => g.Time)],
            notes)
        {
            ConfigurationWrittenTo = settingsWritten is null ? null : Path.GetFullPath(writeConfigurationTo!),
            ConfigurationSettings = settingsWritten ?? 0,
        };
    }

    private static CatalogRebuildSnapshotInfo Info(ScannedObject s) => new(s.Snapshot.PolicyName ?? "unnamed", s.Snapshot.Id, s.Snapshot.Time);

    /// <summary>Every snapshot object of the repository, read in parallel, with when its object was written (its completion there).</summary>
    private static async Task<RepositoryScan> ScanAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        var objects = await repository.ListSnapshotIdsAsync(cancellationToken).ConfigureAwait(false);
        var loaded = new ScannedObject?[objects.Count];
        var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Math.Max(4, repository.Store.Capabilities.RecommendedConcurrency) };
        await Parallel.ForEachAsync(Enumerable.Range(0, objects.Count), options, async (i, token) =>
        {
            if (await repository.TryLoadSnapshotAsync(objects[i].Id, token).ConfigureAwait(false) is { } snapshot)
            {
                loaded[i] = new ScannedObject(snapshot, objects[i].WrittenAt);
            }
        }).ConfigureAwait(false);
        var snapshots = loaded.OfType<ScannedObject>().OrderBy(s => s.Snapshot.Time).ThenBy(s => s.Snapshot.Id, StringComparer.Ordinal).ToList();
        return new RepositoryScan(snapshots, objects.Count - snapshots.Count);
    }

    /// <summary>Imports the newest record that reads whole (its SHA-256 verified before anything is imported); an older one when the newest is damaged.</summary>
    private async Task<RestoredRecord> ImportNewestRecordAsync(
        BackupRepository repository, string target, RepositoryScan scan, List<string> notes, CancellationToken cancellationToken)
    {
        var records = scan.Snapshots.Select(s => s.Snapshot).Where(SystemRecords.IsRecord).OrderByDescending(s => s.Time).ToList();
        foreach (var record in records)
        {
            var copy = Path.Combine(Path.GetTempPath(), $"drorch-record-{Environment.ProcessId}-{record.ShortId}.jsonl");
            try
            {
                await DownloadAsync(repository, record, copy, cancellationToken).ConfigureAwait(false);
                using var reader = new StreamReader(copy, Encoding.UTF8);
                var header = ReadHeader(await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false), record);
                var configuration = ReadConfiguration(await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false), record);
                var counts = await _catalog.ImportHistoryAsync(reader, cancellationToken).ConfigureAwait(false);
                var names = (await _catalog.ListPoliciesAsync(cancellationToken).ConfigureAwait(false)).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
                if (record != records[0])
                {
                    notes.Add($"the newest record could not be read; record {record.ShortId} of {record.Time:u} was used");
                }

                return new RestoredRecord(record, header, counts, names, configuration);
            }
            catch (Exception ex) when (ex is RepositoryException or ObjectStoreException or FormatException or IOException or CatalogException)
            {
                Log.RecordUnreadable(_logger, target, record.Id, ex.Message);
            }
            finally
            {
                File.Delete(copy);
            }
        }

        notes.Add(records.Count == 0
            ? $"{target} holds no system record (written by versions with the orchestrator's own backup): only snapshots were restored, under placeholder policies; apply the policy files again"
            : $"no system record on {target} could be read: only snapshots were restored");
        return new RestoredRecord(null, null, null, new HashSet<string>(), null);
    }

    private static async Task DownloadAsync(BackupRepository repository, Snapshot record, string path, CancellationToken cancellationToken)
    {
        var content = await SystemRecords.OpenAsync(repository, record, cancellationToken).ConfigureAwait(false);
        await using (content.ConfigureAwait(false))
        {
            var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // the history names hosts and paths
                }
                await content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static RecordHeader ReadHeader(string? line, Snapshot record)
    {
        try
        {
            using var json = JsonDocument.Parse(line ?? "");
            if (json.RootElement.GetProperty("t").GetString() != RecordHeader.Kind)
            {
                throw new FormatException($"record {record.ShortId} does not start with its header");
            }

            var header = json.RootElement.GetProperty("v").Deserialize<RecordHeader>(SystemBackupService.LineJson) ?? throw new FormatException("empty header");
            return header.Format > SystemBackupService.FormatVersion
                ? throw new FormatException($"record {record.ShortId} has format {header.Format}; this version reads up to {SystemBackupService.FormatVersion}")
                : header;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"record {record.ShortId}: header is not valid: {ex.Message}", ex);
        }
    }

    /// <summary>The record's second line: the configuration as <see cref="SystemConfiguration.Redacted"/> kept it (format 1 always writes it there).</summary>
    private static Dictionary<string, string> ReadConfiguration(string? line, Snapshot record)
    {
        try
        {
            using var json = JsonDocument.Parse(line ?? "");
            if (json.RootElement.GetProperty("t").GetString() != RecordHeader.ConfigurationKind)
            {
                throw new FormatException($"record {record.ShortId}: its second line is not the configuration");
            }

            return json.RootElement.GetProperty("v").Deserialize<Dictionary<string, string>>(SystemBackupService.LineJson)
                ?? throw new FormatException($"record {record.ShortId}: empty configuration");
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"record {record.ShortId}: configuration is not valid: {ex.Message}", ex);
        }
    }

    private sealed record ScannedObject(Snapshot Snapshot, DateTimeOffset? WrittenAt);

    private sealed record RepositoryScan(IReadOnlyList<ScannedObject> Snapshots, int Unreadable);

    private sealed record RestoredRecord(
        Snapshot? Record, RecordHeader? Header, CatalogHistoryCounts? Counts, IReadOnlySet<string> PolicyNames, IReadOnlyDictionary<string, string>? Configuration);
}
