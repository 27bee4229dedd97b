using DrOrchestrator.Testing.Processes;

namespace DrOrchestrator.Testing.Postgres;

/// <summary>Finds initdb/pg_ctl: <c>pg_config --bindir</c> first, then the newest /usr/lib/postgresql/*/bin.</summary>
public static class PostgresBinaries
{
    public static string Locate()
    {
        var candidates = new List<string>();
        try
        {
            var bindir = ProcessRunner.RunAsync("pg_config", ["--bindir"], TimeSpan.FromSeconds(30)).GetAwaiter().GetResult().Trim();
            candidates.Add(bindir);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // pg_config missing or broken: fall back to the Debian layout below.
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out int v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        return candidates.FirstOrDefault(HasServerTools)
            ?? throw new InvalidOperationException(
                $"PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in [{string.Join(", ", candidates)}]. "
                + "The PostgreSQL tests start their own server: install it with 'apt-get install postgresql'.");
    }

    private static bool HasServerTools(string dir) =>
        File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")) && File.Exists(Path.Combine(dir, "postgres"));
}
