using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using DrOrchestrator.Core.Repository;
using Microsoft.Win32.SafeHandles;

namespace DrOrchestrator.Core.Backup;

/// <summary>Reads a path's extended attributes; <paramref name="errno"/> as <see cref="ExtendedAttributes.Read"/> sets it.</summary>
internal delegate IReadOnlyList<ExtendedAttribute> ExtendedAttributeReader(string path, out int errno);

/// <summary>
/// Reads and writes extended attributes (<c>user.*</c>, <c>security.*</c>, <c>trusted.*</c>, and
/// POSIX ACLs, which Linux keeps as <c>system.posix_acl_access</c>/<c>system.posix_acl_default</c>)
/// without following symlinks. Linux only; on other systems there are none.
/// </summary>
internal static partial class ExtendedAttributes
{
    private const int ERANGE = 34;
    private const int StackBuffer = 1024;

    /// <summary>The attributes of <paramref name="path"/>, sorted by name; empty when it has none or the file system has no xattrs.</summary>
    /// <param name="errno">Set when listing failed for another reason than "not supported" (the caller reports it).</param>
    public static IReadOnlyList<ExtendedAttribute> Read(string path, out int errno)
    {
        errno = 0;
        if (!OperatingSystem.IsLinux())
        {
            return [];
        }

        Span<byte> small = stackalloc byte[StackBuffer];
        var length = LListXattr(path, ref MemoryMarshal.GetReference(small), small.Length);
        byte[]? names = null;
        while (length < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            if (error != ERANGE)
            {
                errno = IsUnsupported(error) ? 0 : error;
                return [];
            }

            var needed = LListXattr(path, ref Unsafe.NullRef<byte>(), 0);
            names = new byte[Math.Max(needed, 0) + 1];
            length = LListXattr(path, ref MemoryMarshal.GetArrayDataReference(names), names.Length);
        }

        if (length == 0)
        {
            return [];
        }

        ReadOnlySpan<byte> list = names is null ? small[..(int)length] : names.AsSpan(0, (int)length);
        var result = new List<ExtendedAttribute>();
        foreach (var range in list.Split((byte)0))
        {
            if (range.End.Value > range.Start.Value)
            {
                var name = Encoding.UTF8.GetString(list[range]);
                if (ReadValue(path, name, out var value, out var error))
                {
                    result.Add(new ExtendedAttribute(name, value));
                }
                else if (error != 0)
                {
                    errno = error;
                }
            }
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return result;
    }

    /// <summary>Sets one attribute on an open file; returns the errno (0 = done).</summary>
    public static int Write(SafeFileHandle file, ExtendedAttribute attribute)
    {
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return FSetXattr((int)file.DangerousGetHandle(), attribute.Name, ref MemoryMarshal.GetArrayDataReference(attribute.Value), attribute.Value.Length, 0) == 0
                ? 0 : Marshal.GetLastPInvokeError();
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>Sets one attribute on a path, not following a final symlink; returns the errno (0 = done).</summary>
    public static int Write(string path, ExtendedAttribute attribute) =>
        LSetXattr(path, attribute.Name, ref MemoryMarshal.GetArrayDataReference(attribute.Value), attribute.Value.Length, 0) == 0
            ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>ENOTSUP/EOPNOTSUPP (95): the file system keeps no extended attributes.</summary>
    public static bool IsUnsupported(int errno) => errno == 95;

    private static bool ReadValue(string path, string name, out byte[] value, out int errno)
    {
        errno = 0;
        value = [];
        while (true)
        {
            var size = LGetXattr(path, name, ref Unsafe.NullRef<byte>(), 0);
            if (size < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return false;
            }

            var buffer = new byte[size];
            var read = LGetXattr(path, name, ref MemoryMarshal.GetArrayDataReference(buffer), buffer.Length);
            if (read >= 0)
            {
                value = read == buffer.Length ? buffer : buffer[..(int)read];
                return true;
            }

            errno = Marshal.GetLastPInvokeError();
            if (errno != ERANGE)
            {
                return false; // removed in between (ENODATA) or another error; ERANGE: grew, ask again
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint LListXattr(string path, ref byte list, nint size);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint LGetXattr(string path, string name, ref byte value, nint size);

    [LibraryImport("libc", EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LSetXattr(string path, string name, ref byte value, nint size, int flags);

    [LibraryImport("libc", EntryPoint = "fsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int FSetXattr(int fd, string name, ref byte value, nint size, int flags);
}
