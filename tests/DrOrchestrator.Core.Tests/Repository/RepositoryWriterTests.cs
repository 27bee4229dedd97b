using System.Security.Cryptography;
using System.Text;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Check;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Tests.Fakes;

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

    private static async Task<Snapshot> CommitDumpAsync(BackupRepository repo, byte[] dump)
    {
        await using var writer = RepositoryWriter.Start(repo);
        await writer.AddStreamAsync("db/dump.sql", new UnseekableStream(dump), CancellationToken.None);
        writer.AddSource(new SnapshotSource("postgres", ["db"], DumpTaken, [], [], [], null));
        return await writer.CommitSnapshotAsync(new SnapshotDraft("db", null, null, SourceFigures.Zero), CancellationToken.None);
    }
}
