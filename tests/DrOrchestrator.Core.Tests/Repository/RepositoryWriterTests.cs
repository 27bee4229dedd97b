using System.Security.Cryptography;
using System.Text;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Check;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Decorators;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Core.Tests.Repository;

/// <summary>
/// The repository writer as a database source and several sources of one run use it: streams of
/// unknown length chunked straight into the repository, file trees and streams in one snapshot.
/// </summary>
public sealed class RepositoryWriterTests
{
    private static readonly DateTimeOffset DumpTaken = new(2026, 12, 3, 4, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Files_and_a_streamed_dump_go_into_one_snapshot_that_restores_byte_for_byte()
    {
        using var dir = new TempDir();
        var source = dir.Sub("src");
        Directory.CreateDirectory(source);
        File.WriteAllBytes(Path.Combine(source, "a.bin"), TestSupport.RandomBytes(300_000, seed: 1));
        var (_, repo) = await TestSupport.NewRepoAsync();
        var dump = TestSupport.RandomBytes(3_000_000, seed: 2);

        Snapshot snapshot;
        StoredStream stored;
        await using (var writer = RepositoryWriter.Start(repo))
        {
            var files = await new Archiver().AddFilesAsync(writer, [new FileTree([source], [], [])], null, null, CancellationToken.None);
            stored = await writer.AddStreamAsync("pg/orders/data.sql", new UnseekableStream(dump), CancellationToken.None);
            var manifest = await writer.SaveBlobAsync(Encoding.UTF8.GetBytes("{\"engine\":\"test\"}"), CancellationToken.None);
            writer.AddSource(new SnapshotSource("postgres", ["pg"], DumpTaken, [], [], [], manifest));
            snapshot = await writer.CommitSnapshotAsync(new SnapshotDraft("mixed", null, null, files.Figures), CancellationToken.None);
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(dump)), stored.Sha256);
        Assert.Equal(dump.Length, stored.Length);
        Assert.True(stored.Chunks > 10, $"{stored.Chunks} chunks: the small test chunker should cut a 3 MB stream many times");
        Assert.Equal(["files", "postgres"], snapshot.Sources!.Select(s => s.Type));
        Assert.Equal(["src"], snapshot.Sources![0].Entries);
        Assert.Equal(DumpTaken, snapshot.RecoveryPoint); // the earliest source's
        Assert.Equal(1, snapshot.Summary.TotalFiles);

        // Everything the snapshot references is in indexes, and a fresh open sees it.
        var reopened = await BackupRepository.OpenAsync(repo.Store, TestSupport.Key, CancellationToken.None);
        var listed = Assert.Single(await reopened.ListSnapshotsAsync(CancellationToken.None));
        Assert.Equal(snapshot.Sources![1].Manifest, listed.Sources![1].Manifest);
        await TestSupport.RestoreAsync(reopened, listed, dir.Sub("out"));
        Assert.Equal(TestSupport.Sha256(Path.Combine(source, "a.bin")), TestSupport.Sha256(dir.Sub("out/src/a.bin")));
        Assert.Equal(stored.Sha256, TestSupport.Sha256(dir.Sub("out/pg/orders/data.sql")));
        Assert.Equal(["pg", "src"], Directory.EnumerateFileSystemEntries(dir.Sub("out")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var findings = new List<CheckFinding>();
        await foreach (var finding in new Checker().CheckAsync(reopened, new CheckOptions(ReadData: true), CancellationToken.None))
        {
            findings.Add(finding);
        }

        Assert.Empty(findings);
    }

    [Fact]
    public async Task The_same_dump_again_stores_no_new_chunk()
    {
        var (_, repo) = await TestSupport.NewRepoAsync();
        var dump = TestSupport.RandomBytes(2_000_000, seed: 3);
        await CommitDumpAsync(repo, dump);

        var second = await CommitDumpAsync(repo, dump);

        Assert.Equal(0, second.Summary.ChunksNew);
        Assert.Equal(0, second.Summary.BytesNew);
    }

    [Fact]
    public async Task An_item_named_like_another_sources_entry_is_refused_and_an_abandoned_writer_leaves_no_snapshot()
    {
        using var dir = new TempDir();
        var source = dir.Sub("pg");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "x.txt"), "x");
        var (store, repo) = await TestSupport.NewRepoAsync();

        await using (var writer = RepositoryWriter.Start(repo))
        {
            await new Archiver().AddFilesAsync(writer, [new FileTree([source], [], [])], null, null, CancellationToken.None);
            var e = await Assert.ThrowsAsync<ArgumentException>(() => writer.AddStreamAsync("pg/data.sql", new MemoryStream([1, 2, 3]), CancellationToken.None));
            Assert.Equal("item pg/data.sql: another source of the snapshot already stores an entry named \"pg\"", e.Message);
            await Assert.ThrowsAsync<ArgumentException>(() => writer.AddStreamAsync("../escape", new MemoryStream([1]), CancellationToken.None));
        }

        Assert.Empty(await repo.ListSnapshotsAsync(CancellationToken.None));
        Assert.DoesNotContain(store.Keys, k => k.StartsWith("snapshots/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failing_stream_fails_the_item_and_the_writer_can_still_be_abandoned_cleanly()
    {
        var (_, repo) = await TestSupport.NewRepoAsync();
        await using var writer = RepositoryWriter.Start(repo);

        var e = await Assert.ThrowsAsync<IOException>(() =>
            writer.AddStreamAsync("db/dump.sql", new UnseekableStream(TestSupport.RandomBytes(1_000_000, seed: 4), failAfter: 500_000), CancellationToken.None));

        Assert.Equal("the dump tool died", e.Message);
        Assert.Empty(await repo.ListSnapshotsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_flush_makes_what_was_written_durable_and_indexed_and_the_writer_goes_on()
    {
        var (store, repo) = await TestSupport.NewRepoAsync();
        var first = TestSupport.RandomBytes(1_500_000, seed: 5);
        var second = TestSupport.RandomBytes(700_000, seed: 6);
        await using var writer = RepositoryWriter.Start(repo);
        var one = await writer.AddStreamAsync("db/one.sql", new UnseekableStream(first), CancellationToken.None);

        await writer.FlushAsync(CancellationToken.None);

        // Another process opening the repository now finds the first stream's chunks indexed, and no snapshot.
        var meanwhile = await BackupRepository.OpenAsync(store, TestSupport.Key, CancellationToken.None);
        Assert.Equal(one.Chunks, meanwhile.Index.BlobCount);
        Assert.Empty(await meanwhile.ListSnapshotsAsync(CancellationToken.None));
        await writer.AddStreamAsync("db/two.sql", new UnseekableStream(second), CancellationToken.None);
        writer.AddSource(new SnapshotSource("postgres", ["db"], DumpTaken, [], [], [], null));
        var snapshot = await writer.CommitSnapshotAsync(new SnapshotDraft("db", null, null, SourceFigures.Zero), CancellationToken.None);

        using var dir = new TempDir();
        await TestSupport.RestoreAsync(await BackupRepository.OpenAsync(store, TestSupport.Key, CancellationToken.None), snapshot, dir.Path);
        Assert.Equal(first, await File.ReadAllBytesAsync(dir.Sub("db/one.sql")));
        Assert.Equal(second, await File.ReadAllBytesAsync(dir.Sub("db/two.sql")));
    }

    [Fact]
    public async Task A_store_failure_while_a_stream_is_written_surfaces_as_itself_and_no_snapshot_is_written()
    {
        var memory = new InMemoryObjectStore();
        var faulty = new FaultInjectingObjectStore(memory);
        var repo = await BackupRepository.InitAsync(faulty, TestSupport.Key, TestSupport.SmallOptions, CancellationToken.None);
        var writer = RepositoryWriter.Start(repo);
        faulty.Outage = true;

        var e = await Assert.ThrowsAsync<ObjectStoreException>(async () =>
        {
            await writer.AddStreamAsync("db/dump.sql", new UnseekableStream(TestSupport.RandomBytes(3_000_000, seed: 8)), CancellationToken.None);
            writer.AddSource(new SnapshotSource("postgres", ["db"], DumpTaken, [], [], [], null));
            await writer.CommitSnapshotAsync(new SnapshotDraft("db", null, null, SourceFigures.Zero), CancellationToken.None);
        });
        await writer.DisposeAsync();

        Assert.Contains(": injected", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(memory.Keys, k => k.StartsWith("snapshots/", StringComparison.Ordinal));
    }

    private static async Task<Snapshot> CommitDumpAsync(BackupRepository repo, byte[] dump)
    {
        await using var writer = RepositoryWriter.Start(repo);
        await writer.AddStreamAsync("db/dump.sql", new UnseekableStream(dump), CancellationToken.None);
        writer.AddSource(new SnapshotSource("postgres", ["db"], DumpTaken, [], [], [], null));
        return await writer.CommitSnapshotAsync(new SnapshotDraft("db", null, null, SourceFigures.Zero), CancellationToken.None);
    }
}
