using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Restore;

namespace DrOrchestrator.Core.Tests.Backup;

public sealed class BackupRestoreTests
{
    [Fact]
    public async Task Edge_case_tree_round_trips_content_modes_mtimes_and_links()
    {
        using var dir = new TempDir();
        var source = dir.Sub("src");
        EdgeCaseTree.Create(source);
        var expected = TestSupport.Describe(source);
        var (_, repo) = await TestSupport.NewRepoAsync();

        var result = await TestSupport.BackupAsync(repo, source);
        var restored = await TestSupport.RestoreAsync(repo, result.Snapshot, dir.Sub("out"));

        Assert.Empty(result.Errors);
        Assert.Empty(result.Warnings);
        Assert.Equal(expected, TestSupport.Describe(dir.Sub("out/src")));
        Assert.Equal(14, restored.Files);
        Assert.Equal(restored.Files, restored.FilesVerified);
        Assert.Equal(4, restored.Symlinks);
        Assert.Equal(6, restored.Directories);
        var s = result.Snapshot;
        Assert.Equal([Path.GetFullPath(source)], s.Paths);
        Assert.Equal("test-policy", s.PolicyName);
        Assert.Equal(14, s.Summary.TotalFiles);
        Assert.Equal(14, s.Summary.FilesNew);
        Assert.True(s.Summary.BytesStored < s.Summary.TotalBytes, "zeros and the duplicate file must dedup/compress");
        Assert.True(s.RecoveryPoint >= s.Time);
    }

    [Fact]
    public async Task Unchanged_rebackup_reads_nothing_and_stores_nothing()
    {
        using var dir = new TempDir();
        var source = dir.Sub("src");
        EdgeCaseTree.Create(source);
        var (store, repo) = await TestSupport.NewRepoAsync();
        var first = await TestSupport.BackupAsync(repo, source);
        var putsBefore = store.PutCount;

        var second = await TestSupport.BackupAsync(repo, source, first.Snapshot);

        Assert.Equal(0, second.Snapshot.Summary.BytesRead);
        Assert.Equal(0, second.Snapshot.Summary.BytesStored);
        Assert.Equal(14, second.Snapshot.Summary.FilesUnmodified);
        Assert.Equal(first.Snapshot.TreeId, second.Snapshot.TreeId);
        Assert.Equal(putsBefore + 1, store.PutCount); // the snapshot object only
    }

    [Fact]
    public async Task Unreadable_parent_means_reading_everything_with_a_warning()
    {
        var (dir, source, repo) = await EdgeCaseRepoAsync();
        using var cleanup = dir;
        var first = await TestSupport.BackupAsync(repo, source);
        var broken = first.Snapshot with { TreeId = new string('a', 64) };

        var second = await TestSupport.BackupAsync(repo, source, broken);

        var warning = Assert.Single(second.Warnings);
        Assert.StartsWith("parent snapshot cannot be read, every file is read again:", warning.Message, StringComparison.Ordinal);
        Assert.Equal(first.Snapshot.Summary.BytesRead, second.Snapshot.Summary.BytesRead);
        Assert.Equal(first.Snapshot.TreeId, second.Snapshot.TreeId);
    }

    [Fact]
    public async Task One_percent_change_stores_less_than_five_percent_again()
    {
        using var dir = new TempDir();
        var source = dir.Sub("src");
        Directory.CreateDirectory(source);
        for (var i = 0; i < 100; i++)
        {
            File.WriteAllBytes(Path.Combine(source, $"f{i:D3}.bin"), TestSupport.RandomBytes(160 * 1024, 100 + i));
        }

        var (_, repo) = await TestSupport.NewRepoAsync();
        var first = await TestSupport.BackupAsync(repo, source);
        File.WriteAllBytes(Path.Combine(source, "f042.bin"), TestSupport.RandomBytes(160 * 1024, 9999));

        var second = await TestSupport.BackupAsync(repo, source, first.Snapshot);

        Assert.Equal(1, second.Snapshot.Summary.FilesChanged);
        Assert.Equal(99, second.Snapshot.Summary.FilesUnmodified);
        Assert.Equal(160 * 1024, second.Snapshot.Summary.BytesRead);
        Assert.True(second.Snapshot.Summary.BytesStored < first.Snapshot.Summary.BytesStored * 0.05,
            $"stored {second.Snapshot.Summary.BytesStored} of {first.Snapshot.Summary.BytesStored}");
        await TestSupport.RestoreAsync(repo, second.Snapshot, dir.Sub("out"));
        Assert.Equal(TestSupport.Describe(source), TestSupport.Describe(dir.Sub("out/src")));
    }

    [Fact]
    public async Task Directories_encoded_during_the_scan_equal_those_encoded_after_reading()
    {
        // An incremental run encodes unchanged directories while scanning and the changed one in
        // the tree stage once its file is read; a run without parent reads every file and encodes
        // every directory in the tree stage. Both must produce the same bytes, hence the same root
        // tree id.
        using var dir = new TempDir();
        var source = dir.Sub("src");
        foreach (var sub in new[] { "a/x", "a/y", "b/z", "c" })
        {
            Directory.CreateDirectory(Path.Combine(source, sub));
            for (var i = 0; i < 5; i++)
            {
                File.WriteAllBytes(Path.Combine(source, sub, $"f{i}.bin"), TestSupport.RandomBytes(10_000 + i, sub.Length * 10 + i));
            }
        }

        var (_, repo) = await TestSupport.NewRepoAsync();
        var first = await TestSupport.BackupAsync(repo, source);
        File.WriteAllBytes(Path.Combine(source, "a/y/f3.bin"), TestSupport.RandomBytes(12_345, 777));

        var incremental = await TestSupport.BackupAsync(repo, source, first.Snapshot);
        var full = await TestSupport.BackupAsync(repo, source);

        Assert.Equal(12_345, incremental.Snapshot.Summary.BytesRead);
        Assert.Equal(19, incremental.Snapshot.Summary.FilesUnmodified);
        Assert.Equal(full.Snapshot.TreeId, incremental.Snapshot.TreeId);
        Assert.NotEqual(first.Snapshot.TreeId, incremental.Snapshot.TreeId);
        await TestSupport.RestoreAsync(repo, incremental.Snapshot, dir.Sub("out"));
        Assert.Equal(TestSupport.Describe(source), TestSupport.Describe(dir.Sub("out/src")));
    }

    [Fact]
    public async Task Restore_reads_neighbouring_trees_together_not_one_request_per_directory()
    {
        using var dir = new TempDir();
        var source = dir.Sub("src");
        for (var d = 0; d < 40; d++)
        {
            var sub = Path.Combine(source, $"dir{d:D2}", "inner");
            Directory.CreateDirectory(sub);
            File.WriteAllBytes(Path.Combine(sub, "f.bin"), TestSupport.RandomBytes(2_000 + d, 500 + d));
        }

        var (store, repo) = await TestSupport.NewRepoAsync();
        var backup = await TestSupport.BackupAsync(repo, source);
        // A fresh open: nothing read ahead yet.
        await using var reopened = await BackupRepository.OpenAsync(store, TestSupport.Key, CancellationToken.None);
        var getsBefore = store.PackGetCount;

        await TestSupport.RestoreAsync(reopened, backup.Snapshot, dir.Sub("out"));

        // 81 trees and 40 files in a handful of packs: one request per tree would be 81 and more.
        var gets = store.PackGetCount - getsBefore;
        Assert.True(gets <= 10, $"{gets} pack reads for 81 trees and 40 small files");
        Assert.Equal(TestSupport.Describe(source), TestSupport.Describe(dir.Sub("out/src")));
    }

    [Fact]
    public async Task A_modified_file_without_parent_dedups_against_the_repository()
    {
        using var dir = new TempDir();
        var source = dir.Sub("src");
        Directory.CreateDirectory(source);
        var data = TestSupport.RandomBytes(2 * 1024 * 1024, 5);
        File.WriteAllBytes(Path.Combine(source, "a.bin"), data);
        var (_, repo) = await TestSupport.NewRepoAsync();
        var first = await TestSupport.BackupAsync(repo, source);
        data[1_000_000] ^= 0xff;
        File.WriteAllBytes(Path.Combine(source, "a.bin"), data);

        var second = await TestSupport.BackupAsync(repo, source);

        Assert.Equal(data.Length, second.Snapshot.Summary.BytesRead);
        Assert.True(second.Snapshot.Summary.BytesNew <= 512 * 1024, $"{second.Snapshot.Summary.BytesNew} new bytes for a one-byte change");
        Assert.True(second.Snapshot.Summary.ChunksNew <= 2);
        Assert.NotEqual(first.Snapshot.TreeId, second.Snapshot.TreeId);
    }

    [Fact]
    public async Task Include_and_exclude_globs_select_what_is_backed_up()
    {
        var (dir, source, repo) = await EdgeCaseRepoAsync();
        using var cleanup = dir;

        var result = await new Archiver().BackupAsync(repo, TestSupport.Request(source, include: ["*.txt", "sub/deeper/**"], exclude: ["private"]), null, CancellationToken.None);
        await TestSupport.RestoreAsync(repo, result.Snapshot, dir.Sub("out"));

        var restored = TestSupport.Describe(dir.Sub("out/src")).Keys.ToList();
        Assert.Equal(
            ["normal.txt", "sub", "sub/deeper", "sub/deeper/deepest", "sub/deeper/deepest/leaf.bin", "sub/inner.txt", "with space.txt", "ünïcödé-文件.txt"],
            restored);
    }

    [Fact]
    public async Task Two_trees_with_their_own_globs_make_one_snapshot_that_restores_both()
    {
        using var dir = new TempDir();
        var docs = dir.Sub("docs");
        var logs = dir.Sub("logs");
        Directory.CreateDirectory(Path.Combine(docs, "drafts"));
        Directory.CreateDirectory(logs);
        File.WriteAllBytes(Path.Combine(docs, "a.txt"), TestSupport.RandomBytes(200_000, seed: 7));
        File.WriteAllText(Path.Combine(docs, "a.log"), "excluded from docs");
        File.WriteAllText(Path.Combine(docs, "drafts", "b.txt"), "excluded directory");
        File.WriteAllText(Path.Combine(logs, "app.log"), "included in logs");
        File.WriteAllText(Path.Combine(logs, "app.txt"), "not included in logs");
        var (_, repo) = await TestSupport.NewRepoAsync();
        var request = new FileBackupRequest(
            [new FileTree([docs], [], ["*.log", "drafts"]), new FileTree([logs], ["*.log"], [])], "two", null, null);

        var first = await new Archiver().BackupAsync(repo, request, null, CancellationToken.None);

        var snapshot = Assert.Single(await repo.ListSnapshotsAsync(CancellationToken.None));
        Assert.Equal(first.Snapshot.Id, snapshot.Id);
        Assert.Equal([docs, logs], snapshot.Paths);
        Assert.Equal(2, snapshot.Summary.TotalFiles);
        var sources = snapshot.Sources!;
        Assert.Equal([(["docs"], ["*.log", "drafts"]), (["logs"], [])], sources.Select(s => (s.Entries.ToArray(), s.Exclude.ToArray())));
        Assert.Equal(["*.log"], sources[1].Include);
        await TestSupport.RestoreAsync(repo, snapshot, dir.Sub("out"));
        Assert.Equal(["docs", "docs/a.txt", "logs", "logs/app.log"], TestSupport.Describe(dir.Sub("out")).Keys);
        Assert.Equal(TestSupport.Sha256(Path.Combine(docs, "a.txt")), TestSupport.Sha256(dir.Sub("out/docs/a.txt")));
        Assert.Equal(TestSupport.Sha256(Path.Combine(logs, "app.log")), TestSupport.Sha256(dir.Sub("out/logs/app.log")));

        // With it as parent, both trees are recognised unchanged: nothing is read again.
        var second = await new Archiver().BackupAsync(repo, request with { Parent = snapshot }, null, CancellationToken.None);
        Assert.Equal(0, second.Snapshot.Summary.BytesRead);
        Assert.Equal(2, second.Snapshot.Summary.FilesUnmodified);
        Assert.Equal(snapshot.TreeId, second.Snapshot.TreeId);
    }

    [Fact]
    public async Task Two_trees_whose_paths_share_a_name_are_refused_before_anything_is_written()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("a/data"));
        Directory.CreateDirectory(dir.Sub("b/data"));
        var (store, repo) = await TestSupport.NewRepoAsync();
        var before = store.Keys.Count;

        var e = await Assert.ThrowsAsync<ArgumentException>(() => new Archiver().BackupAsync(repo,
            new FileBackupRequest([new FileTree([dir.Sub("a/data")], [], []), new FileTree([dir.Sub("b/data")], [], [])], "p", null, null), null, CancellationToken.None));

        Assert.StartsWith("source paths share the name \"data\"", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, store.Keys.Count);
    }

    [Fact]
    public async Task Restore_include_glob_restores_selected_files_and_their_parents()
    {
        var (dir, source, repo) = await EdgeCaseRepoAsync();
        using var cleanup = dir;
        var result = await TestSupport.BackupAsync(repo, source);

        var restored = await TestSupport.RestoreAsync(repo, result.Snapshot, dir.Sub("out"), ["src/sub/**/*.bin", "normal.txt"]);

        Assert.Equal(["src", "src/normal.txt", "src/sub", "src/sub/deeper", "src/sub/deeper/deepest", "src/sub/deeper/deepest/leaf.bin", "src/sub/dup-of-big.bin"],
            TestSupport.Describe(dir.Sub("out")).Keys);
        Assert.Equal(3, restored.Files);
        Assert.Equal(TestSupport.Sha256(Path.Combine(source, "sub/dup-of-big.bin")), TestSupport.Sha256(dir.Sub("out/src/sub/dup-of-big.bin")));
    }

    [Fact]
    public async Task Restore_refuses_a_non_empty_destination_unless_overwrite()
    {
        var (dir, source, repo) = await EdgeCaseRepoAsync();
        using var cleanup = dir;
        var result = await TestSupport.BackupAsync(repo, source);
        Directory.CreateDirectory(dir.Sub("out/src"));
        File.WriteAllText(dir.Sub("out/src/normal.txt"), "stale");
        File.CreateSymbolicLink(dir.Sub("out/src/sub"), dir.Sub("elsewhere"));

        var e = await Assert.ThrowsAsync<RestoreRefusedException>(() => TestSupport.RestoreAsync(repo, result.Snapshot, dir.Sub("out")));
        Assert.Equal($"restore destination {dir.Sub("out")} is not empty (choose an empty directory, or pass --overwrite to restore over it)", e.Message);

        await new Restorer().RestoreAsync(repo, new RestoreRequest(result.Snapshot, dir.Sub("out"), [], Overwrite: true), null, CancellationToken.None);
        Assert.Equal(TestSupport.Describe(source), TestSupport.Describe(dir.Sub("out/src")));
        Assert.False(Directory.Exists(dir.Sub("elsewhere")));
    }

    [Fact]
    public async Task Unreadable_file_is_an_error_and_the_rest_is_backed_up()
    {
        var (dir, source, repo) = await EdgeCaseRepoAsync();
        using var cleanup = dir;
        var archiver = ArchiverOpening((p, open) => p.EndsWith("normal.txt", StringComparison.Ordinal) ? throw new UnauthorizedAccessException("Access denied") : open(p));

        var result = await archiver.BackupAsync(repo, TestSupport.Request(source), null, CancellationToken.None);
        await TestSupport.RestoreAsync(repo, result.Snapshot, dir.Sub("out"));

        var error = Assert.Single(result.Errors);
        Assert.Equal(Path.Combine(source, "normal.txt"), error.Path);
        Assert.Equal("cannot open: Access denied", error.Message);
        Assert.Equal(1, result.Snapshot.Summary.Errors);
        var expected = TestSupport.Describe(source);
        expected.Remove("normal.txt");
        Assert.Equal(expected.Keys, TestSupport.Describe(dir.Sub("out/src")).Keys);
    }

    [Fact]
    public async Task File_deleted_between_scan_and_read_is_a_warning_and_not_counted()
    {
        var (dir, source, repo) = await EdgeCaseRepoAsync();
        using var cleanup = dir;
        var archiver = ArchiverOpening((p, open) =>
        {
            if (p.EndsWith("run.sh", StringComparison.Ordinal))
            {
                File.Delete(p);
            }

            return open(p);
        });

        var result = await archiver.BackupAsync(repo, TestSupport.Request(source), null, CancellationToken.None);

        Assert.Empty(result.Errors);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal((Path.Combine(source, "run.sh"), "vanished before it could be read"), (warning.Path, warning.Message));
        Assert.Equal(13, result.Snapshot.Summary.TotalFiles);
    }

    [Fact]
    public async Task File_changed_while_read_is_stored_as_read_with_a_warning()
    {
        using var dir = new TempDir();
        var source = dir.Sub("src");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "log.txt"), "line 1\n");
        var (_, repo) = await TestSupport.NewRepoAsync();
        var archiver = ArchiverOpening((p, open) =>
        {
            File.AppendAllText(p, "line 2\n");
            return open(p);
        });

        var result = await archiver.BackupAsync(repo, TestSupport.Request(source), null, CancellationToken.None);
        await TestSupport.RestoreAsync(repo, result.Snapshot, dir.Sub("out"));

        var warning = Assert.Single(result.Warnings);
        Assert.Equal("changed while being read; stored as read", warning.Message);
        Assert.Equal("line 1\nline 2\n", File.ReadAllText(dir.Sub("out/src/log.txt")));
    }

    [Fact]
    public async Task Fifo_is_skipped_with_a_warning()
    {
        using var dir = new TempDir();
        var source = dir.Sub("src");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "a.txt"), "a");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", Path.Combine(source, "pipe")))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var (_, repo) = await TestSupport.NewRepoAsync();
        var result = await TestSupport.BackupAsync(repo, source);

        var warning = Assert.Single(result.Warnings);
        Assert.Equal(Path.Combine(source, "pipe"), warning.Path);
        Assert.Equal("skipped: sockets, FIFOs and devices are not backed up", warning.Message);
        Assert.Equal(1, result.Snapshot.Summary.TotalFiles);
    }

    [Fact]
    public async Task Several_sources_and_a_single_file_source_round_trip()
    {
        using var dir = new TempDir();
        EdgeCaseTree.Create(dir.Sub("one"));
        File.WriteAllBytes(dir.Sub("single.bin"), TestSupport.RandomBytes(400_000, 77));
        var (_, repo) = await TestSupport.NewRepoAsync();

        var result = await new Archiver().BackupAsync(repo, new FileBackupRequest([dir.Sub("one"), dir.Sub("single.bin")], [], [], null, null, null), null, CancellationToken.None);
        await TestSupport.RestoreAsync(repo, result.Snapshot, dir.Sub("out"));

        Assert.Equal(TestSupport.Describe(dir.Sub("one")), TestSupport.Describe(dir.Sub("out/one")));
        Assert.Equal(TestSupport.Sha256(dir.Sub("single.bin")), TestSupport.Sha256(dir.Sub("out/single.bin")));
        var dup = await Assert.ThrowsAsync<ArgumentException>(() => new Archiver().BackupAsync(
            repo, new FileBackupRequest([dir.Sub("one"), dir.Sub("out/one")], [], [], null, null, null), null, CancellationToken.None));
        Assert.StartsWith("source paths share the name \"one\"", dup.Message, StringComparison.Ordinal);
    }

    private static async Task<(TempDir Dir, string Source, DrOrchestrator.Core.Repository.BackupRepository Repo)> EdgeCaseRepoAsync()
    {
        var dir = new TempDir();
        var source = dir.Sub("src");
        EdgeCaseTree.Create(source);
        var (_, repo) = await TestSupport.NewRepoAsync();
        return (dir, source, repo);
    }

    /// <summary>An archiver whose file opener is wrapped, to simulate unreadable or changing files.</summary>
    private static Archiver ArchiverOpening(Func<string, Func<string, Stream>, Stream> open)
    {
        var archiver = new Archiver();
        var original = archiver.OpenFile;
        archiver.OpenFile = p => open(p, original);
        return archiver;
    }
}
