using DrOrchestrator.Orchestration.Configuration;

namespace DrOrchestrator.Orchestration.Targets;

/// <summary>A new repository key file: 32 random bytes, base64, created readable by its owner only.</summary>
public static class RepositoryKeyFile
{
    /// <summary>
    /// Creates <paramref name="path"/> with a new key. The file is created with mode 0600 (never
    /// readable by others, not even for a moment) and never replaces an existing file: an
    /// overwritten key makes every backup made with it unreadable.
    /// </summary>
    /// <exception cref="ConfigurationException">The file exists, or its folder does not.</exception>
    public static void CreateNew(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        if (File.Exists(full) || Directory.Exists(full))
        {
            throw new ConfigurationException($"{full}: already exists; a key file is never overwritten (the backups made with it would become unreadable)");
        }

        if (!Directory.Exists(Path.GetDirectoryName(full)))
        {
            throw new ConfigurationException($"{full}: folder {Path.GetDirectoryName(full)} does not exist");
        }

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using var writer = new StreamWriter(full, System.Text.Encoding.ASCII, options);
            writer.Write(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");
        }
        catch (IOException ex) when (File.Exists(full))
        {
            throw new ConfigurationException($"{full}: already exists; a key file is never overwritten (the backups made with it would become unreadable)", ex);
        }
    }
}
