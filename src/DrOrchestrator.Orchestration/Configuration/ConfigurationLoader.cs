using DrOrchestrator.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace DrOrchestrator.Orchestration.Configuration;

/// <summary>
/// Loads the DrOrchestrator configuration: <c>appsettings.json</c> (explicit path, else
/// <c>DRORCH_CONFIG</c>, else <c>./appsettings.json</c> when present), then <c>DRORCH__…</c>
/// environment variables on top (so <c>DRORCH__Targets__local__Path=/srv/x</c> overrides a target).
/// </summary>
/// <remarks>
/// Relative paths in the file mean "relative to the file", not to the working directory: an
/// admin running <c>drorch</c> from another folder at 3 a.m. must hit the same catalog and
/// repository. The file's folder is exposed as <see cref="BaseDirectoryKey"/>; each consumer
/// resolves its own paths from it (the backends, and the catalog for a relative SQLite file).
/// </remarks>
public static class ConfigurationLoader
{
    public const string EnvironmentVariable = "DRORCH_CONFIG";
    public const string BaseDirectoryKey = ConfigurationFile.BaseDirectoryKey;
    public const string ConfigFileKey = ConfigurationFile.ConfigFileKey;

    /// <summary>
    /// Largest configuration file read (bytes); a real one is a few KiB. Nesting is bounded by the
    /// JSON reader itself (64 levels, an error not a stack overflow).
    /// </summary>
    public const long MaxFileBytes = 1 << 20;

    private const string NoFile = "(defaults)";

    public static IConfigurationRoot Load(string? explicitPath)
    {
        var path = explicitPath ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (path is not null && !File.Exists(path))
        {
            throw new ConfigurationException($"{path}: configuration file not found");
        }

        path ??= File.Exists("appsettings.json") ? "appsettings.json" : null;
        var fullPath = path is null ? null : Path.GetFullPath(path);
        if (fullPath is not null && new FileInfo(fullPath).Length > MaxFileBytes)
        {
            throw new ConfigurationException($"{fullPath}: file is {new FileInfo(fullPath).Length} bytes; configuration files are limited to {MaxFileBytes}");
        }

        var baseDirectory = fullPath is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(fullPath)!;

        var builder = new ConfigurationBuilder();
        builder.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [BaseDirectoryKey] = baseDirectory,
            [ConfigFileKey] = fullPath ?? NoFile,
        });
        if (fullPath is not null)
        {
            builder.AddJsonFile(fullPath, optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables("DRORCH__");
        IConfigurationRoot configuration;
        try
        {
            configuration = builder.Build();
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or System.Text.Json.JsonException)
        {
            throw new ConfigurationException($"{fullPath}: not valid JSON: {ex.GetBaseException().Message}", ex);
        }

        return configuration;
    }

    /// <summary>Resolves a path from the configuration against the configuration file's folder.</summary>
    public static string ResolvePath(IConfiguration configuration, string path)
    {
        var baseDirectory = configuration[BaseDirectoryKey] ?? Directory.GetCurrentDirectory();
        return Path.GetFullPath(Path.Combine(baseDirectory, path));
    }

    /// <summary>True when a configuration file was read (not only defaults and environment variables).</summary>
    public static bool HasFile(IConfiguration configuration) => configuration[ConfigFileKey] is { } file && file != NoFile;

    /// <summary>The configuration file name for error messages.</summary>
    public static string FileName(IConfiguration configuration) =>
        Path.GetFileName(configuration[ConfigFileKey] ?? "appsettings.json");
}
