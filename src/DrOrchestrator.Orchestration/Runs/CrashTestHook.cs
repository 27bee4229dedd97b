using System.Diagnostics;

namespace DrOrchestrator.Orchestration.Runs;

/// <summary>
/// A test hook, and the only one: when the environment variable <see cref="Variable"/> names a
/// crash point, the process kills itself with SIGKILL when it reaches that point — no finally
/// block, no catalog update, exactly what a kill -9 or a power cut leaves. It exists so a test
/// can kill at one exact instant (the window between the repository commit and the catalog
/// commit is a few milliseconds: a kill at a random time almost never lands in it). Unset, it
/// costs one environment lookup per backup.
/// </summary>
public static class CrashTestHook
{
    public const string Variable = "DRORCH_TEST_CRASH_AT";

    /// <summary>After the snapshot object is committed to the repository, before the catalog records it.</summary>
    public const string AfterRepositoryCommit = "after-repository-commit";

    public static void At(string point)
    {
        if (string.Equals(Environment.GetEnvironmentVariable(Variable), point, StringComparison.Ordinal))
        {
            using var self = Process.GetCurrentProcess();
            self.Kill();
        }
    }
}
