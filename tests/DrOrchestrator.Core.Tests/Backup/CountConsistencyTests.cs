using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Restore;

namespace DrOrchestrator.Core.Tests.Backup;

/// <summary>The snapshot's counts are what it holds and what a restore gives back; issues are errors or warnings, each counted once.</summary>
public sealed class CountConsistencyTests
{
    [Fact]
    public async Task An_unreadable_file_is_an_error_and_not_counted_as_backed_up()
    {
        using var dir = new TempDir();
        var source = WriteFiles(dir, ("ok.bin", 10_000), ("locked.bin", 50_000));
        var archiver = new Archiver { OpenFile = p => p.EndsWith("locked.bin", StringComparison.Ordinal) ? throw new UnauthorizedAccessException("Access denied") : Open(p) };

        var (_, repo) = await TestSupport.NewRepoAsync();
        var result = await archiver.BackupAsync(repo, TestSupport.Request(source), null, CancellationToken.None);

        var error = Assert.Single(result.Errors);
        Assert.Equal((Path.Combine(source, "locked.bin"), "cannot open: Access denied"), (error.Path, error.Message));
        Assert.Empty(result.Warnings);
        var summary = result.Snapshot.Summary;
        Assert.Equal((1L, 10_000L, 1L, 0, 1), (summary.TotalFiles, summary.TotalBytes, summary.FilesNew, summary.Warnings, summary.Errors));
        await AssertRestoreMatchesAsync(repo, result, dir, ["src/ok.bin"]);
    }

    [Fact]
    public async Task A_file_that_vanishes_before_it_is_opened_is_a_warning_and_not_counted()
    {
        using var dir = new TempDir();
        var source = WriteFiles(dir, ("ok.bin", 10_000), ("gone.bin", 7_000));
        var archiver = new Archiver { OpenFile = p => p.EndsWith("gone.bin", StringComparison.Ordinal) ? throw new FileNotFoundException("gone", p) : Open(p) };

        var (_, repo) = await TestSupport.NewRepoAsync();
        var result = await archiver.BackupAsync(repo, TestSupport.Request(source), null, CancellationToken.None);

        Assert.Empty(result.Errors);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal((Path.Combine(source, "gone.bin"), "vanished before it could be read"), (warning.Path, warning.Message));
        var summary = result.Snapshot.Summary;
        Assert.Equal((1L, 10_000L, 1, 0), (summary.TotalFiles, summary.TotalBytes, summary.Warnings, summary.Errors));
        await AssertRestoreMatchesAsync(repo, result, dir, ["src/ok.bin"]);
    }

    [Fact]
    public async Task A_growing_file_is_recorded_with_the_bytes_stored_and_restored_and_warned_about()
    {
        using var dir = new TempDir();
        var source = WriteFiles(dir, ("ok.bin", 10_000), ("log.bin", 100_000));
        var grown = TestSupport.RandomBytes(180_000, seed: 5);
        var archiver = new Archiver { OpenFile = p => p.EndsWith("log.bin", StringComparison.Ordinal) ? new MemoryStream(grown) : Open(p) };

        var (_, repo) = await TestSupport.NewRepoAsync();
        var result = await archiver.BackupAsync(repo, TestSupport.Request(source), null, CancellationToken.None);

        Assert.Empty(result.Errors);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal("changed while being read; stored as read", warning.Message);
        var summary = result.Snapshot.Summary;
        Assert.Equal((2L, 190_000L, 190_000L, 1, 0), (summary.TotalFiles, summary.TotalBytes, summary.BytesRead, summary.Warnings, summary.Errors));
        var restored = await AssertRestoreMatchesAsync(repo, result, dir, ["src/log.bin", "src/ok.bin"]);
        Assert.Equal(190_000, restored.Bytes);
        Assert.Equal(grown, File.ReadAllBytes(dir.Sub("out/src/log.bin")));
    }

    [Fact]
    public async Task A_directory_that_cannot_be_listed_is_an_error_and_kept_empty_with_its_metadata()
    {
        using var dir = new TempDir();
        var source = WriteFiles(dir, ("ok.bin", 10_000));
        var locked = Path.Combine(source, "locked");
        Directory.CreateDirectory(locked);
        File.WriteAllText(Path.Combine(locked, "inside.txt"), "never seen");
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute);
        Directory.SetLastWriteTimeUtc(locked, new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        var archiver = new Archiver
        {
            ListDirectory = p => p == locked ? throw new UnauthorizedAccessException($"Access to the path '{p}' is denied.") : Directory.EnumerateFileSystemEntries(p),
        };

        var (_, repo) = await TestSupport.NewRepoAsync();
        var result = await archiver.BackupAsync(repo, TestSupport.Request(source), null, CancellationToken.None);

        var error = Assert.Single(result.Errors);
        Assert.Equal((locked, $"cannot list directory: Access to the path '{locked}' is denied.; stored empty"), (error.Path, error.Message));
        var summary = result.Snapshot.Summary;
        Assert.Equal((1L, 2L, 0, 1), (summary.TotalFiles, summary.Directories, summary.Warnings, summary.Errors));
        await AssertRestoreMatchesAsync(repo, result, dir, ["src/ok.bin"]);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Sub("out/src/locked")));
        Assert.Equal(TestSupport.Describe(source)["locked"], TestSupport.Describe(dir.Sub("out/src"))["locked"]);
    }

    private static string WriteFiles(TempDir dir, params (string Name, int Size)[] files)
    {
        var source = dir.Sub("src");
        Directory.CreateDirectory(source);
        foreach (var (name, size) in files)
        {
            File.WriteAllBytes(Path.Combine(source, name), TestSupport.RandomBytes(size, seed: size));
        }

        return source;
    }

    private static FileStream Open(string path) => new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);

    /// <summary>The restore gives back exactly the files the snapshot counts, and as many bytes.</summary>
    private static async Task<RestoreResult> AssertRestoreMatchesAsync(Core.Repository.BackupRepository repo, BackupResult backup, TempDir dir, string[] expected)
    {
        var restored = await TestSupport.RestoreAsync(repo, backup.Snapshot, dir.Sub("out"));
        Assert.Empty(restored.Failures);
        Assert.Equal(expected, Directory.GetFiles(dir.Sub("out"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir.Sub("out"), f)).Order(StringComparer.Ordinal));
        Assert.Equal((backup.Snapshot.Summary.TotalFiles, backup.Snapshot.Summary.TotalBytes), (restored.Files, restored.Bytes));
        return restored;
    }
}
