// The CLI tests exercise POSIX behaviour (modes, symlinks, key-file permissions); CI is Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
