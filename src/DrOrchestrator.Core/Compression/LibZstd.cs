using System.Runtime.InteropServices;

namespace DrOrchestrator.Core.Compression;

/// <summary>
/// The few entry points of the system's libzstd we use, bound once through function pointers.
/// Loading is attempted once per process; failure (no libzstd.so.1, a missing export) means
/// "use the managed port", never an error.
/// </summary>
internal sealed unsafe class LibZstd
{
    private static readonly Lazy<LibZstd?> Instance = new(Load);

    private LibZstd(nint handle)
    {
        CreateCCtx = (delegate* unmanaged<nint>)NativeLibrary.GetExport(handle, "ZSTD_createCCtx");
        FreeCCtx = (delegate* unmanaged<nint, nuint>)NativeLibrary.GetExport(handle, "ZSTD_freeCCtx");
        CompressCCtx = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, int, nuint>)NativeLibrary.GetExport(handle, "ZSTD_compressCCtx");
        CreateDCtx = (delegate* unmanaged<nint>)NativeLibrary.GetExport(handle, "ZSTD_createDCtx");
        FreeDCtx = (delegate* unmanaged<nint, nuint>)NativeLibrary.GetExport(handle, "ZSTD_freeDCtx");
        DecompressDCtx = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint>)NativeLibrary.GetExport(handle, "ZSTD_decompressDCtx");
        GetFrameContentSize = (delegate* unmanaged<byte*, nuint, ulong>)NativeLibrary.GetExport(handle, "ZSTD_getFrameContentSize");
        IsError = (delegate* unmanaged<nuint, uint>)NativeLibrary.GetExport(handle, "ZSTD_isError");
        GetErrorName = (delegate* unmanaged<nuint, byte*>)NativeLibrary.GetExport(handle, "ZSTD_getErrorName");
        var versionString = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(handle, "ZSTD_versionString");
        Version = Marshal.PtrToStringUTF8((nint)versionString()) ?? "?";
    }

    public delegate* unmanaged<nint> CreateCCtx { get; }

    public delegate* unmanaged<nint, nuint> FreeCCtx { get; }

    public delegate* unmanaged<nint, byte*, nuint, byte*, nuint, int, nuint> CompressCCtx { get; }

    public delegate* unmanaged<nint> CreateDCtx { get; }

    public delegate* unmanaged<nint, nuint> FreeDCtx { get; }

    public delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint> DecompressDCtx { get; }

    public delegate* unmanaged<byte*, nuint, ulong> GetFrameContentSize { get; }

    public delegate* unmanaged<nuint, uint> IsError { get; }

    public delegate* unmanaged<nuint, byte*> GetErrorName { get; }

    public string Version { get; }

    /// <summary>The library, or null when this process cannot use it.</summary>
    public static LibZstd? TryLoad() => Instance.Value;

    /// <summary>Throws <see cref="InvalidDataException"/> with libzstd's own words when <paramref name="code"/> is an error code.</summary>
    public nuint Check(nuint code, string operation)
    {
        if (IsError(code) != 0)
        {
            throw new InvalidDataException($"zstd {operation}: {Marshal.PtrToStringUTF8((nint)GetErrorName(code))}");
        }

        return code;
    }

    private static LibZstd? Load()
    {
        // DRORCH_ZSTD=managed forces the port (to compare the two, or to work around a broken system library).
        if (string.Equals(Environment.GetEnvironmentVariable("DRORCH_ZSTD"), "managed", StringComparison.OrdinalIgnoreCase)
            || !NativeLibrary.TryLoad(OperatingSystem.IsMacOS() ? "libzstd.1.dylib" : "libzstd.so.1", out var handle))
        {
            return null;
        }

        try
        {
            return new LibZstd(handle);
        }
        catch (EntryPointNotFoundException)
        {
            return null; // a libzstd too old for the API we call
        }
    }
}
