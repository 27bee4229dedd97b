using System.Runtime.InteropServices;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Restore;
using Microsoft.Win32.SafeHandles;

namespace DrOrchestrator.Core.Tests.Restore;

/// <summary>Finished restored files leave the page cache once a budget stands behind them, and every one is closed.</summary>
public sealed partial class PageCacheReleaserTests
{
    private const int MiB = 1 << 20;

    /// <summary>A file of <paramref name="length"/> random bytes, written and fsynced (so its pages are clean), opened read-write.</summary>
    private static SafeFileHandle CleanFile(TempDir dir, string name, int length)
    {
        var path = dir.Sub(name);
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
        RandomAccess.Write(handle, TestSupport.RandomBytes(length, name.Length), 0);
        RandomAccess.FlushToDisk(handle);
        return handle;
    }

    [Fact]
    public void The_oldest_files_beyond_the_byte_budget_are_dropped_from_the_cache_and_closed()
    {
        using var dir = new TempDir();
        using var queue = new WrittenFileQueue(byteBudget: 5 * MiB, fileBudget: 100);
        var files = Enumerable.Range(0, 4).Select(i => CleanFile(dir, $"f{i}", 2 * MiB)).ToList();
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(2 * MiB, ResidentBytes(dir.Sub($"f{i}"))));

        files.ForEach(f => queue.Add(f, 2 * MiB));

        // 8 MiB queued against a 5 MiB budget: the two oldest had to go.
        Assert.Equal([true, true, false, false], files.Select(f => f.IsClosed));
        Assert.Equal(2, queue.Count);
        Assert.Equal(0, ResidentBytes(dir.Sub("f0")));
        Assert.Equal(0, ResidentBytes(dir.Sub("f1")));
        Assert.Equal(2 * MiB, ResidentBytes(dir.Sub("f3")));

        queue.Dispose();
        Assert.All(files, f => Assert.True(f.IsClosed));
        Assert.Equal(2 * MiB, ResidentBytes(dir.Sub("f3"))); // closed, not dropped
        Assert.Equal(TestSupport.RandomBytes(2 * MiB, 2), File.ReadAllBytes(dir.Sub("f0"))); // dropped from the cache, not lost
    }

    [Fact]
    public void No_more_than_the_file_budget_stays_open()
    {
        using var dir = new TempDir();
        using var queue = new WrittenFileQueue(byteBudget: long.MaxValue, fileBudget: 3);
        var files = Enumerable.Range(0, 10).Select(i => CleanFile(dir, $"g{i}", MiB)).ToList();

        foreach (var f in files)
        {
            queue.Add(f, MiB);
            Assert.True(queue.Count <= 3, $"{queue.Count} files queued");
        }

        Assert.Equal(7, files.Count(f => f.IsClosed));
        Assert.True(files.Take(7).All(f => f.IsClosed), "the oldest go first");
    }

    [Fact]
    public void The_releaser_drops_large_files_behind_its_budget_in_the_background_and_closes_everything_on_dispose()
    {
        using var dir = new TempDir();
        var releaser = new PageCacheReleaser(byteBudget: 5 * MiB, fileBudget: 100);
        var large = Enumerable.Range(0, 4).Select(i => CleanFile(dir, $"h{i}", 2 * MiB)).ToList();
        var small = CleanFile(dir, "small", 64 * 1024);

        releaser.Release(small, 64 * 1024);
        Assert.True(small.IsClosed, "a file below the minimum is closed at once");
        large.ForEach(f => releaser.Release(f, 2 * MiB));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(large[0].IsClosed && large[1].IsClosed) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10); // the background task drops the two oldest once the third and fourth arrive
        }

        Assert.False(large[3].IsClosed, "within its budget a file stays open until dispose");
        releaser.Dispose();

        Assert.All(large, f => Assert.True(f.IsClosed));
        Assert.Equal([0, 0, 2 * MiB, 2 * MiB], Enumerable.Range(0, 4).Select(i => ResidentBytes(dir.Sub($"h{i}"))));
        Assert.Equal(64 * 1024, ResidentBytes(dir.Sub("small")));

        var late = CleanFile(dir, "late", 2 * MiB);
        releaser.Release(late, 2 * MiB);
        Assert.True(late.IsClosed, "after dispose a released file is closed, not leaked");
    }

    [Fact]
    public async Task A_restore_of_large_files_leaves_them_intact_with_their_metadata()
    {
        using var dir = new TempDir();
        var source = dir.Sub("src");
        Directory.CreateDirectory(source);
        for (var i = 0; i < 6; i++)
        {
            var path = Path.Combine(source, $"big{i}.bin");
            File.WriteAllBytes(path, TestSupport.RandomBytes((3 * MiB) + (i * 4097), 300 + i));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
            File.SetLastWriteTimeUtc(path, new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddMinutes(i));
        }

        var (_, repo) = await TestSupport.NewRepoAsync();
        var backup = await TestSupport.BackupAsync(repo, source);

        await TestSupport.RestoreAsync(repo, backup.Snapshot, dir.Sub("out"));

        Assert.Equal(TestSupport.Describe(source), TestSupport.Describe(dir.Sub("out/src")));
    }

    /// <summary>How many bytes of the file are in the page cache (mmap + mincore).</summary>
    private static long ResidentBytes(string path)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var length = RandomAccess.GetLength(file);
        var map = Mmap(0, (nuint)length, ProtRead, MapShared, file, 0);
        Assert.NotEqual(-1, map);
        try
        {
            var pageSize = Environment.SystemPageSize;
            var vector = new byte[(length + pageSize - 1) / pageSize];
            Assert.Equal(0, Mincore(map, (nuint)length, vector));
            return Math.Min(length, vector.Count(v => (v & 1) != 0) * (long)pageSize);
        }
        finally
        {
            Munmap(map, (nuint)length);
        }
    }

    private const int ProtRead = 1;
    private const int MapShared = 1;

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, SafeFileHandle fd, long offset);

    [LibraryImport("libc", EntryPoint = "mincore")]
    private static partial int Mincore(nint address, nuint length, [Out] byte[] vector);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nuint length);
}
