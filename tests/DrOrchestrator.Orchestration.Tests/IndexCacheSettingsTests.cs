using DrOrchestrator.Core.Repository;
using DrOrchestrator.Orchestration.Configuration;
using Microsoft.Extensions.Configuration;

namespace DrOrchestrator.Orchestration.Tests;

public sealed class IndexCacheSettingsTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(
            values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))
                .Append(KeyValuePair.Create(ConfigurationLoader.BaseDirectoryKey, (string?)"/etc/drorch"))
                .Append(KeyValuePair.Create(ConfigurationLoader.ConfigFileKey, (string?)"/etc/drorch/drorch.json"))).Build();

    [Fact]
    public void The_cache_is_on_by_default_under_the_users_cache_folder()
    {
        Assert.Equal(IndexCacheOptions.DefaultDirectory(), IndexCacheSettings.Read(Configuration())?.Directory);
        Assert.EndsWith(Path.Combine("drorch", "index"), IndexCacheOptions.DefaultDirectory());
    }

    [Fact]
    public void A_relative_folder_is_relative_to_the_configuration_file_and_the_cache_can_be_turned_off()
    {
        Assert.Equal("/etc/drorch/cache/index", IndexCacheSettings.Read(Configuration(("IndexCache:Directory", "cache/index")))?.Directory);
        Assert.Equal("/var/cache/drorch", IndexCacheSettings.Read(Configuration(("IndexCache:Directory", "/var/cache/drorch")))?.Directory);
        Assert.Null(IndexCacheSettings.Read(Configuration(("IndexCache:Enabled", "false"), ("IndexCache:Directory", "cache"))));
    }

    [Fact]
    public void A_blank_folder_or_a_flag_that_is_not_a_boolean_is_one_line_naming_the_field()
    {
        Assert.Equal(
            "drorch.json: IndexCache:Directory: is empty (leave it out for the default, or set IndexCache:Enabled to false)",
            Assert.Throws<ConfigurationException>(() => IndexCacheSettings.Read(Configuration(("IndexCache:Directory", " ")))).Message);
        var e = Assert.Throws<ConfigurationException>(() => IndexCacheSettings.Read(Configuration(("IndexCache:Enabled", "sometimes"))));
        Assert.StartsWith("drorch.json: IndexCache:Enabled", e.Message);
        Assert.Contains("sometimes", e.Message);
    }
}
