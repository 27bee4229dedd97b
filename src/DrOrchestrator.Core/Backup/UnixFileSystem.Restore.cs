using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace DrOrchestrator.Core.Backup;

/// <summary>The calls a restore needs beyond the BCL: rename without replacing, hard links, owners.</summary>
internal static partial class UnixFileSystem
{
    private const uint RenameNoReplace = 1;
    private const int EEXIST = 17;
    private const int EINVAL = 22;
    private const int ENOSYS = 38;

    /// <summary>True when the process may give files away (restore owners): effective uid 0.</summary>
    public static bool IsRoot => !OperatingSystem.IsWindows() && GetEuid() == 0;

    /// <summary>
    /// Renames <paramref name="from"/> to <paramref name="to"/> in one step (what makes a restored
    /// file visible). Without <paramref name="replace"/> an existing <paramref name="to"/> is never
    /// replaced (<c>RENAME_NOREPLACE</c>; on file systems without it, a check right before).
    /// </summary>
    /// <exception cref="IOException">The rename failed; the message names both paths and the errno.</exception>
    public static void Rename(string from, string to, bool replace)
    {
        if (!replace)
        {
            if (RenameAt2(AtFdCwd, from, AtFdCwd, to, RenameNoReplace) == 0)
            {
                return;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno is not (EINVAL or ENOSYS))
            {
                throw RenameFailed(from, to, errno);
            }

            if (LStat(to, out _) is not null)
            {
                throw RenameFailed(from, to, EEXIST);
            }
        }

        if (RenameLibc(from, to) != 0)
        {
            throw RenameFailed(from, to, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Creates <paramref name="link"/> as another name of <paramref name="existing"/> (a hard link).</summary>
    /// <exception cref="IOException">The link could not be made (errno in the message).</exception>
    public static void HardLink(string existing, string link)
    {
        if (Link(existing, link) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot link {link} to {existing}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }

    /// <summary>Sets owner and group of an open file; returns the errno (0 = done).</summary>
    public static int SetOwner(SafeFileHandle file, uint uid, uint gid) => FChown(file, uid, gid) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Sets owner and group of a path without following a final symlink; returns the errno (0 = done).</summary>
    public static int SetOwner(string path, uint uid, uint gid) => LChown(path, uid, gid) == 0 ? 0 : Marshal.GetLastPInvokeError();

    private static IOException RenameFailed(string from, string to, int errno) =>
        new($"cannot rename {from} to {to}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameLibc(string oldpath, string newpath);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string oldpath, string newpath);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int FChown(SafeFileHandle fd, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LChown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
