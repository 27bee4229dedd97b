using System.Globalization;
using DrOrchestrator.Catalog;
using DrOrchestrator.Orchestration.Runs;

namespace DrOrchestrator.Orchestration.Drill;

/// <summary>
/// The fresh directory one drill restores into, never the real destination. Its name says whose
/// it is (<c>drill-PID-STARTMS-RANDOM</c>: this process's id and start time), so a sandbox left by
/// a drill that was killed (SIGKILL, power cut: no <c>finally</c> ran) is recognised and removed
/// by the next drill on this host, while a live drill's sandbox is left alone. Disposing removes
/// the sandbox, whatever the restore left in it (read-only files and directories included).
/// </summary>
public sealed class DrillSandbox : IDisposable
{
    private const string Prefix = "drill-";

    private DrillSandbox(string path) => Path = path;

    /// <summary>The sandbox directory (exists until disposed).</summary>
    public string Path { get; }

    /// <summary>Creates a new sandbox under <paramref name="root"/> (created if missing, owner-only).</summary>
    public static DrillSandbox Create(string root)
    {
        Directory.CreateDirectory(root);
        var process = RunProcess.Current;
        var name = string.Create(CultureInfo.InvariantCulture,
            $"{Prefix}{process.ProcessId}-{process.StartedAt.ToUnixTimeMilliseconds()}-{Guid.NewGuid().ToString("N")[..8]}");
        var path = System.IO.Path.Combine(root, name);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            // Restored data is as sensitive as the source: only the drill's user may look into it.
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return new DrillSandbox(path);
    }

    /// <summary>
    /// Removes every sandbox under <paramref name="root"/> whose drill process is gone; returns
    /// their paths. Sandboxes of live drills (this or another process) are kept.
    /// </summary>
    public static IReadOnlyList<string> RemoveLeftovers(string root)
    {
        if (!Directory.Exists(root))
        {
            return [];
        }

        var removed = new List<string>();
        foreach (var directory in Directory.EnumerateDirectories(root, Prefix + "*"))
        {
            if (Owner(System.IO.Path.GetFileName(directory)) is { } owner && !ProcessLiveness.IsRunning(owner.ProcessId, owner.StartedAt))
            {
                DeleteTree(directory);
                removed.Add(directory);
            }
        }

        return removed;
    }

    public void Dispose() => DeleteTree(Path);

    /// <summary>The process a sandbox name belongs to; null when the name is not a sandbox's.</summary>
    internal static (int ProcessId, DateTimeOffset StartedAt)? Owner(string name)
    {
        var parts = name.Split('-');
        return parts.Length == 4 && parts[0] + "-" == Prefix
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var startMs)
            ? (pid, DateTimeOffset.FromUnixTimeMilliseconds(startMs))
            : null;
    }

    /// <summary>Deletes a tree even when the restore gave its directories read-only modes (a restore restores modes).</summary>
    private static void DeleteTree(string path)
    {
        if (!Directory.Exists(path))
        {
            return;
        }

        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (!OperatingSystem.IsWindows() && ex is UnauthorizedAccessException or IOException)
        {
            MakeDirectoriesWritable(path);
            Directory.Delete(path, recursive: true);
        }
    }

    private static void MakeDirectoriesWritable(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var info = new DirectoryInfo(directory);
        if (info.LinkTarget is not null)
        {
            return; // a symlink is removed as a link, never followed
        }

        File.SetUnixFileMode(directory, info.UnixFileMode | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var child in Directory.EnumerateDirectories(directory, "*", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            MakeDirectoriesWritable(child);
        }
    }
}
