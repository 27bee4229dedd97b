using DrOrchestrator.Orchestration.CatalogRebuild;
using Microsoft.Extensions.Configuration;

namespace DrOrchestrator.Orchestration.Tests;

/// <summary>The configuration as the system record keeps it: references kept, secret values left out.</summary>
public sealed class SystemConfigurationTests
{
    [Fact]
    public void Secret_references_are_kept_and_secret_values_are_left_out()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RepositoryKey:EnvironmentVariable"] = "DRORCH_KEY",
            ["RepositoryKey:File"] = "/etc/drorch/repository.key",
            ["Targets:s3:Type"] = "s3",
            ["Targets:s3:Bucket"] = "backups",
            ["Targets:s3:SecretAccessKeyEnvironmentVariable"] = "S3_SECRET",
            ["Targets:s3:SecretAccessKey"] = "wJalrXUtnFEMI-do-not-record",
            ["Catalog:ConnectionString"] = "Host=db;Database=drorch;Username=drorch;Password=hunter2-do-not-record",
            ["Catalog:PasswordEnvironmentVariable"] = "DRORCH_CATALOG_PASSWORD",
            ["Server:ApiKeys:0:Name"] = "ops",
            ["Server:ApiKeys:0:Sha256"] = "ab12-do-not-record",
            ["Alerts:WebhookUrl"] = "https://user:pw-do-not-record@hooks.example/alert?token=do-not-record",
            ["Alerts:SecretEnvironmentVariable"] = "HOOK_SECRET",
        }).Build();

        var kept = SystemConfiguration.Redacted(configuration);

        Assert.DoesNotContain(kept, kv => kv.Value.Contains("do-not-record", StringComparison.Ordinal));
        Assert.Equal("DRORCH_KEY", kept["RepositoryKey:EnvironmentVariable"]);
        Assert.Equal("/etc/drorch/repository.key", kept["RepositoryKey:File"]);
        Assert.Equal("S3_SECRET", kept["Targets:s3:SecretAccessKeyEnvironmentVariable"]);
        Assert.Equal("backups", kept["Targets:s3:Bucket"]);
        Assert.False(kept.ContainsKey("Targets:s3:SecretAccessKey"));
        Assert.False(kept.ContainsKey("Server:ApiKeys:0:Sha256"));
        Assert.Equal("ops", kept["Server:ApiKeys:0:Name"]);
        Assert.Contains("database=drorch", kept["Catalog:ConnectionString"], StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("password", kept["Catalog:ConnectionString"], StringComparison.OrdinalIgnoreCase);
        Assert.Equal("https://hooks.example/alert", kept["Alerts:WebhookUrl"]);
        Assert.Equal("HOOK_SECRET", kept["Alerts:SecretEnvironmentVariable"]);
    }
}
