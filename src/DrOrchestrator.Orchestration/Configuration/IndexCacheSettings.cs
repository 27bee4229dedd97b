using DrOrchestrator.Core.Repository;
using Microsoft.Extensions.Configuration;

namespace DrOrchestrator.Orchestration.Configuration;

/// <summary>
/// The <c>IndexCache</c> section: the local copy of each repository's built blob index
/// (docs/decisions.md §24). <c>Enabled</c> (default true); <c>Directory</c> (default
/// <c>$XDG_CACHE_HOME/drorch/index</c>, else <c>~/.cache/drorch/index</c>; a relative path is
/// relative to the configuration file).
/// </summary>
public sealed class IndexCacheSettings
{
    public const string SectionName = "IndexCache";

    public bool Enabled { get; set; } = true;

    public string? Directory { get; set; }

    /// <summary>The options an open uses, or null when the cache is off (or there is no home folder to default to).</summary>
    /// <exception cref="ConfigurationException">A value of the section does not convert, or <c>Directory</c> is blank.</exception>
    public static IndexCacheOptions? Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        var settings = ConfigurationBinding.Bind<IndexCacheSettings>(configuration, section);
        if (section[nameof(Directory)] is { } text && string.IsNullOrWhiteSpace(text))
        {
            throw new ConfigurationException($"{ConfigurationLoader.FileName(configuration)}: {SectionName}:{nameof(Directory)}: is empty (leave it out for the default, or set {SectionName}:{nameof(Enabled)} to false)");
        }

        if (!settings.Enabled)
        {
            return null;
        }

        var directory = settings.Directory is { } configured ? ConfigurationLoader.ResolvePath(configuration, configured) : IndexCacheOptions.DefaultDirectory();
        return directory is null ? null : new IndexCacheOptions(directory);
    }
}
