using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace DrOrchestrator.Core.Backup;

/// <summary>What <c>lstat</c> says about a path (never follows a final symlink).</summary>
internal readonly record struct UnixStat(uint Mode, uint Uid, uint Gid, long Size, long MTimeNs, ulong Inode, ulong Device)
{
    /// <summary>Hard links to the inode (<c>st_nlink</c>).</summary>
    public uint Links { get; init; } = 1;

    /// <summary>
    /// Last status change (<c>st_ctime</c>) in Unix ns: the kernel moves it on every change of the
    /// inode (content, mode, owner, link count, extended attributes and ACLs), and no call can set it.
    /// </summary>
    public long CTimeNs { get; init; }

    /// <summary>512-byte blocks allocated (<c>st_blocks</c>): fewer than the size needs means holes.</summary>
    public long Blocks { get; init; }

    /// <summary>A regular file with at least one 4 KiB block fewer allocated than its size needs: it has holes.</summary>
    public bool IsSparse => FileType == RegularFile && (Blocks * 512) + 4096 <= Size;

    public const uint TypeMask = 0xF000;
    public const uint RegularFile = 0x8000;
    public const uint Directory = 0x4000;
    public const uint Symlink = 0xA000;

    public uint FileType => Mode & TypeMask;

    /// <summary>Permission bits incl. setuid/setgid/sticky.</summary>
    public uint Permissions => Mode & 0xFFF;
}

/// <summary>
/// The few POSIX calls the BCL lacks: lstat with inode/device/ns-mtime (via <c>statx</c>, whose
/// struct layout is fixed by the kernel on every architecture, unlike <c>struct stat</c>) and
/// <c>utimensat</c> without following symlinks, and the page-cache hints <c>sync_file_range</c>
/// and <c>posix_fadvise</c>. Linux only (glibc ≥ 2.28).
/// </summary>
internal static partial class UnixFileSystem
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxBufferSize = 256;
    private const uint SyncFileRangeWrite = 2;
    private const int PosixFadviseDontNeed = 4;

    /// <summary>lstat; null with <paramref name="errno"/> set when the call fails (e.g. ENOENT = 2).</summary>
    public static UnixStat? LStat(string path, out int errno)
    {
        Span<byte> buf = stackalloc byte[StatxBufferSize];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, ref MemoryMarshal.GetReference(buf)) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        errno = 0;
        // struct statx offsets: nlink 16, uid 20, gid 24, mode u16 28, ino 32, size 40, blocks 48, ctime {i64 sec, u32 nsec} 96,
        // mtime 112, dev_major 136, dev_minor 140.
        var mtime = TimestampNs(buf[112..]);
        var device = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(buf[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(buf[140..]);
        return new UnixStat(
            BinaryPrimitives.ReadUInt16LittleEndian(buf[28..]),
            BinaryPrimitives.ReadUInt32LittleEndian(buf[20..]),
            BinaryPrimitives.ReadUInt32LittleEndian(buf[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(buf[40..]),
            mtime,
            BinaryPrimitives.ReadUInt64LittleEndian(buf[32..]),
            device)
        {
            Links = BinaryPrimitives.ReadUInt32LittleEndian(buf[16..]),
            Blocks = BinaryPrimitives.ReadInt64LittleEndian(buf[48..]),
            CTimeNs = TimestampNs(buf[96..]),
        };
    }

    /// <summary>A struct statx_timestamp {i64 sec, u32 nsec} in Unix ns.</summary>
    private static long TimestampNs(ReadOnlySpan<byte> timestamp) =>
        (BinaryPrimitives.ReadInt64LittleEndian(timestamp) * 1_000_000_000L) + BinaryPrimitives.ReadUInt32LittleEndian(timestamp[8..]);

    /// <summary>Sets mtime (and atime to the same) with ns precision, not following a final symlink. Best effort: returns false on failure.</summary>
    public static bool SetModificationTime(string path, long mtimeNs)
    {
        Span<long> times = stackalloc long[4];
        FillTimes(times, mtimeNs);
        return UtimensAt(AtFdCwd, path, ref MemoryMarshal.GetReference(times), AtSymlinkNoFollow) == 0;
    }

    /// <summary>Sets mtime (and atime) of an open file: no path lookup, unlike <see cref="SetModificationTime"/>.</summary>
    public static bool SetModificationTime(SafeHandle file, long mtimeNs)
    {
        Span<long> times = stackalloc long[4];
        FillTimes(times, mtimeNs);
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return Futimens((int)file.DangerousGetHandle(), ref MemoryMarshal.GetReference(times)) == 0;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Starts writing the file's dirty pages to the device and returns without waiting for them
    /// (<c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>; not a durability guarantee, no fsync).
    /// Best effort: returns false on failure.
    /// </summary>
    public static bool StartWriteBack(SafeFileHandle file) => SyncFileRange(file, 0, 0, SyncFileRangeWrite) == 0;

    /// <summary>
    /// Asks the kernel to drop the file's cached pages (<c>posix_fadvise(POSIX_FADV_DONTNEED)</c>).
    /// Only clean pages go: dirty ones and those still being written back stay. Best effort.
    /// </summary>
    public static bool DropCachedPages(SafeFileHandle file) => PosixFadvise(file, 0, 0, PosixFadviseDontNeed) == 0;

    /// <summary>Two struct timespec {sec, nsec} (atime, mtime), both set to <paramref name="mtimeNs"/>.</summary>
    private static void FillTimes(Span<long> times, long mtimeNs)
    {
        var sec = Math.DivRem(mtimeNs, 1_000_000_000L, out var nsec);
        if (nsec < 0)
        {
            sec--;
            nsec += 1_000_000_000L;
        }

        times[0] = sec;
        times[1] = nsec;
        times[2] = sec;
        times[3] = nsec;
    }

    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static partial int Futimens(int fd, ref long times);

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(SafeFileHandle fd, long offset, long count, uint flags);

    // posix_fadvise returns the error number instead of setting errno.
    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(SafeFileHandle fd, long offset, long length, int advice);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UtimensAt(int dirfd, string path, ref long times, int flags);
}
