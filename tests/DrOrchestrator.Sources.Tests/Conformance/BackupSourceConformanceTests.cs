using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Sources;
using DrOrchestrator.Sources.Tests.Support;

namespace DrOrchestrator.Sources.Tests.Conformance;

/// <summary>
/// What every <see cref="IBackupSource"/> must do, run once per implementation (files, PostgreSQL,
/// …): it adds exactly the entries it announced and one source record per run of its type; a
/// database source's manifest names items that exist and hash as recorded; two sources claiming
/// an entry are refused before anything is written; a cancelled run leaves no snapshot.
/// </summary>
public abstract class BackupSourceConformanceTests
{
    /// <summary>A source over real, non-empty data.</summary>
    protected abstract Task<IBackupSource> CreateSourceAsync();

    protected abstract string ExpectedType { get; }

    /// <summary>True for database sources: a manifest with every dump and its fingerprint.</summary>
    protected abstract bool HasManifest { get; }

    [Fact]
    public async Task Adds_exactly_its_entries_and_records_itself()
    {
        var repository = await Repositories.NewSmallAsync();
        var source = await CreateSourceAsync();
        var before = DateTimeOffset.UtcNow;

        var result = await SourceBackupRunner.RunAsync(repository, [source], new SnapshotRequest("conformance", null, null), null, CancellationToken.None);

        Assert.Equal(ExpectedType, source.Type);
        var records = result.Snapshot.Sources!;
        Assert.All(records, r => Assert.Equal(ExpectedType, r.Type));
        Assert.Equal(source.Entries.Order(StringComparer.Ordinal), records.SelectMany(r => r.Entries).Order(StringComparer.Ordinal));
        Assert.All(records, r => Assert.InRange(r.RecoveryPoint, before.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1)));
        Assert.Equal(records.Min(r => r.RecoveryPoint), result.Snapshot.RecoveryPoint);
        var (snapshots, findings) = await Repositories.InspectAsync(repository);
        Assert.Equal(result.Snapshot.Id, Assert.Single(snapshots).Id);
        Assert.DoesNotContain(findings, f => f.Severity != Core.Check.CheckSeverity.Info);
    }

    [Fact]
    public async Task A_manifest_names_items_that_exist_with_the_recorded_hash()
    {
        var repository = await Repositories.NewSmallAsync();
        var result = await SourceBackupRunner.RunAsync(repository, [await CreateSourceAsync()], new SnapshotRequest("conformance", null, null), null, CancellationToken.None);

        if (!HasManifest)
        {
            Assert.All(result.Snapshot.Sources!, r => Assert.Null(r.Manifest));
            return;
        }

        var record = Assert.Single(result.Snapshot.Sources!);

        var manifest = await SnapshotItems.LoadManifestAsync(repository, record, CancellationToken.None);
        Assert.Equal(ExpectedType, manifest.Engine);
        Assert.NotEmpty(manifest.Databases);
        Assert.Equal(manifest.RecoveryPoint, record.RecoveryPoint);
        foreach (var dump in manifest.Databases)
        {
            Assert.StartsWith(record.Entries[0] + "/", dump.Item, StringComparison.Ordinal);
            Assert.NotEmpty(dump.Tables);
            await using var item = await SnapshotItems.OpenAsync(repository, result.Snapshot, dump.Item, CancellationToken.None);
            using var sha = System.Security.Cryptography.SHA256.Create();
            Assert.Equal(dump.Sha256, Convert.ToHexStringLower(await sha.ComputeHashAsync(item)));
            Assert.Equal(dump.Length, item.Position);
            foreach (var part in dump.Parts ?? [])
            {
                Assert.StartsWith(record.Entries[0] + "/", part.Item, StringComparison.Ordinal);
                await using var stream = await SnapshotItems.OpenAsync(repository, result.Snapshot, part.Item, CancellationToken.None);
                Assert.Equal(part.Sha256, Convert.ToHexStringLower(await sha.ComputeHashAsync(stream)));
                Assert.Equal(part.Length, stream.Position);
            }
        }
    }

    [Fact]
    public async Task Two_sources_claiming_the_same_entry_are_refused_before_anything_is_written()
    {
        var repository = await Repositories.NewSmallAsync();
        var source = await CreateSourceAsync();
        var objectsBefore = await Repositories.ObjectKeysAsync(repository);

        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            SourceBackupRunner.RunAsync(repository, [source, source], new SnapshotRequest("conformance", null, null), null, CancellationToken.None));

        Assert.Contains($"'{source.Entries[0]}'", e.Message, StringComparison.Ordinal);
        Assert.Equal(objectsBefore, await Repositories.ObjectKeysAsync(repository));
    }

    [Fact]
    public async Task A_cancelled_run_leaves_no_snapshot()
    {
        var repository = await Repositories.NewSmallAsync();
        var source = await CreateSourceAsync();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            SourceBackupRunner.RunAsync(repository, [source], new SnapshotRequest("conformance", null, null), null, cts.Token));

        var (snapshots, findings) = await Repositories.InspectAsync(repository);
        Assert.Empty(snapshots);
        Assert.DoesNotContain(findings, f => f.Severity == Core.Check.CheckSeverity.Error);
    }
}
