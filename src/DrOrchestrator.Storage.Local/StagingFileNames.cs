using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace DrOrchestrator.Storage.Local;

/// <summary>
/// Names of staging files: <c>.tmp-&lt;host&gt;.&lt;pid&gt;-&lt;random&gt;</c>. The owner part lets
/// the next process on the same host remove what a killed one left at once, instead of after
/// <see cref="LocalObjectStore.AbandonedStageAge"/>; names without it (older versions) fall back
/// to the age rule.
/// </summary>
internal static class StagingFileNames
{
    private static readonly string Host = Sanitize(Environment.MachineName);

    public static string New() =>
        $"{LocalObjectStore.TempFilePrefix}{Host}.{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";

    /// <summary>True when <paramref name="fileName"/> was written by a process of this host that no longer runs.</summary>
    public static bool OwnerIsGone(string fileName)
    {
        if (!fileName.StartsWith(LocalObjectStore.TempFilePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var owner = fileName.AsSpan(LocalObjectStore.TempFilePrefix.Length);
        var dash = owner.LastIndexOf('-');
        var dot = dash < 0 ? -1 : owner[..dash].LastIndexOf('.');
        if (dot < 0 || !owner[..dot].SequenceEqual(Host) || !int.TryParse(owner[(dot + 1)..dash], out var pid) || pid == Environment.ProcessId)
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true; // no process with that id
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    // Host names may hold characters a file name should not; 32 characters tell hosts apart.
    private static string Sanitize(string host)
    {
        var text = new StringBuilder(Math.Min(host.Length, 32));
        foreach (var c in host.Take(32))
        {
            text.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        return text.Length == 0 ? "host" : text.ToString();
    }
}
