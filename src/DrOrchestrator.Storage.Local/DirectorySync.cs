using System.Runtime.InteropServices;

namespace DrOrchestrator.Storage.Local;

/// <summary>
/// fsync of a directory, which makes the names created or renamed in it durable. .NET cannot open
/// a directory as a file handle, hence the two libc calls.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0;

    // O_CLOEXEC (Linux value): a process forked meanwhile must not inherit the descriptor.
    private const int CloseOnExecLinux = 0x80000;

    /// <summary>fsyncs <paramref name="directory"/>; throws an <see cref="IOException"/> whose HResult is the errno.</summary>
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            // NTFS journals the rename itself; Windows has no directory fsync to call.
            return;
        }

        var fd = Open(directory, OperatingSystem.IsLinux() ? ReadOnly | CloseOnExecLinux : ReadOnly);
        if (fd < 0)
        {
            throw Failure("open", directory);
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw Failure("fsync", directory);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static IOException Failure(string call, string directory)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call} of directory {directory} failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
