// The engine's tests exercise POSIX behaviour (modes, symlinks, statx, FIFOs): Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
