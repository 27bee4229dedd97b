using Microsoft.Extensions.Configuration;

namespace DrOrchestrator.Core.Configuration;

/// <summary>
/// What every layer needs to know about the configuration file it was loaded from: its folder
/// (relative paths in the file mean "relative to the file", never to the working directory) and
/// its name (every configuration error starts with it). The loader of the host puts both into
/// the configuration under <see cref="BaseDirectoryKey"/> and <see cref="ConfigFileKey"/>; the
/// backends and the catalog read them from there, so none of them depends on the host.
/// </summary>
public static class ConfigurationFile
{
    public const string BaseDirectoryKey = "DrOrchestrator:BaseDirectory";
    public const string ConfigFileKey = "DrOrchestrator:ConfigFile";

    /// <summary>The folder relative paths are resolved against (the working directory when no file was loaded).</summary>
    public static string BaseDirectory(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration[BaseDirectoryKey] ?? Directory.GetCurrentDirectory();
    }

    /// <summary>Resolves a path from the configuration against the configuration file's folder.</summary>
    public static string ResolvePath(IConfiguration configuration, string path) =>
        Path.GetFullPath(Path.Combine(BaseDirectory(configuration), path));

    /// <summary>A configured path resolved like <see cref="ResolvePath"/>; unset stays unset (for validation to name).</summary>
    public static string? ResolveOptionalPath(IConfiguration configuration, string? path) =>
        string.IsNullOrWhiteSpace(path) ? path : ResolvePath(configuration, path);

    /// <summary>The configuration file name for error messages.</summary>
    public static string FileName(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Path.GetFileName(configuration[ConfigFileKey] ?? "appsettings.json");
    }
}
