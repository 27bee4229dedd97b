using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DrOrchestrator.Catalog;
using DrOrchestrator.Orchestration.Runs;

namespace DrOrchestrator.Orchestration.Drill;

/// <summary>
/// Names of drill scratch databases: <c>drorch_drill_HOST_PID_STARTMS_RANDOM</c>, where HOST is
/// 8 hex digits of the SHA-256 of this machine's name and PID/STARTMS are this process's (as for
/// sandboxes, §39). A database server may be shared by drills on several hosts (cluster nodes),
/// so only this host's names are ever judged by process liveness; another host's leftovers are
/// left to that host's next drill. At most 52 characters: within PostgreSQL's 63 and MariaDB's 64.
/// </summary>
public static class ScratchDatabaseName
{
    public const string Prefix = "drorch_drill_";

    /// <summary>The prefix of every scratch database made on this host.</summary>
    public static string HostPrefix { get; } =
        Prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Environment.MachineName)))[..8] + "_";

    /// <summary>A new name for a scratch database of this process.</summary>
    public static string New()
    {
        var process = RunProcess.Current;
        return string.Create(CultureInfo.InvariantCulture,
            $"{HostPrefix}{process.ProcessId}_{process.StartedAt.ToUnixTimeMilliseconds()}_{Guid.NewGuid().ToString("N")[..8]}");
    }

    /// <summary>True when <paramref name="name"/> is a scratch database of this host whose drill process is gone.</summary>
    public static bool IsLeftover(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!name.StartsWith(HostPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = name[HostPrefix.Length..].Split('_');
        return parts.Length == 3
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var startMs)
            && !ProcessLiveness.IsRunning(pid, DateTimeOffset.FromUnixTimeMilliseconds(startMs));
    }
}
