using DrOrchestrator.Storage.Tests.Emulators;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// `drorch target init` and `drorch target test` against the real emulators: the first backup to
/// a bucket or container that does not exist points to them; init creates it and the repository;
/// test then passes every check.
/// </summary>
[Collection(CloudEmulators.Name)]
public sealed class TargetSetupCommandTests
{
    private static readonly string NewLine = Environment.NewLine;
    private readonly S3rverFixture _s3;
    private readonly AzuriteFixture _azure;

    public TargetSetupCommandTests(S3rverFixture s3, AzuriteFixture azure)
    {
        _s3 = s3;
        _azure = azure;
        // The fixtures start their server on first use; the process under test reads the same variables.
        _s3.CreateStoreAsync("warmup" + Guid.NewGuid().ToString("N")[..8]).GetAwaiter().GetResult().Dispose();
        _azure.CreateStoreAsync("warmup" + Guid.NewGuid().ToString("N")[..8]).GetAwaiter().GetResult();
    }

    [Theory]
    [InlineData("azure")]
    [InlineData("s3")]
    public async Task A_new_container_is_created_by_target_init_and_passes_target_test(string type)
    {
        var container = "n" + Guid.NewGuid().ToString("N")[..12];
        var target = type switch
        {
            "azure" => new Dictionary<string, object>
            {
                ["Type"] = "azure", ["Container"] = container, ["Prefix"] = "repo",
                ["ConnectionStringEnvironmentVariable"] = _azure.ConnectionStringVariable, ["UploadChecksum"] = "MD5",
                ["Retry"] = new Dictionary<string, string> { ["MaxAttempts"] = "1" },
            },
            _ => new Dictionary<string, object>
            {
                ["Type"] = "s3", ["ServiceUrl"] = _s3.ServiceUrl, ["ForcePathStyle"] = "true", ["Bucket"] = container, ["Prefix"] = "repo",
                ["AccessKeyIdEnvironmentVariable"] = S3rverFixture.AccessKeyVariable, ["SecretAccessKeyEnvironmentVariable"] = S3rverFixture.SecretKeyVariable,
                ["DisableChunkEncoding"] = "true", ["ChecksumsWhenRequiredOnly"] = "true",
                ["Retry"] = new Dictionary<string, string> { ["MaxAttempts"] = "1" },
            },
        };
        using var sandbox = new CliSandbox(settings => settings["Targets"] = new Dictionary<string, object> { ["cloud"] = target });
        var source = Path.Combine(sandbox.Root, "source");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "a.txt"), "alpha\n");
        Assert.Equal(0, (await RealDrorch.RunAsync(sandbox, null, "policy", "apply", sandbox.WritePolicy("home", source, target: "cloud"))).ExitCode);

        var first = await RealDrorch.RunAsync(sandbox, null, "backup", "home");
        Assert.Equal(1, first.ExitCode);
        var line = Assert.Single(first.Stderr.Split(NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(type == "azure" ? "ContainerNotFound" : "NoSuchBucket", line, StringComparison.Ordinal);
        Assert.EndsWith("(the bucket or container does not exist yet: `drorch target init TARGET` creates it, `drorch target test TARGET` checks access)", line, StringComparison.Ordinal);

        var untested = await RealDrorch.RunAsync(sandbox, null, "target", "test", "cloud");
        Assert.Equal(1, untested.ExitCode);
        Assert.StartsWith("  FAIL  reach and list: ", untested.Stdout, StringComparison.Ordinal);
        Assert.Equal($"drorch: error: target cloud: 1 of 1 checks failed; later checks were skipped{NewLine}", untested.Stderr);

        var init = await RealDrorch.RunAsync(sandbox, null, "target", "init", "cloud");
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.EndsWith($"): container created, repository created{NewLine}", init.Stdout, StringComparison.Ordinal);
        var again = await RealDrorch.RunAsync(sandbox, null, "target", "init", "cloud");
        Assert.EndsWith($"): container exists, repository exists and the key opens it (0 snapshots){NewLine}", again.Stdout, StringComparison.Ordinal);

        var test = await RealDrorch.RunAsync(sandbox, null, "target", "test", "cloud");
        Assert.True(test.ExitCode == 0, test.ToString());
        var checks = test.Stdout.Split(NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            ["ok reach and list", "ok put probe object", "ok get probe object", "ok clock skew", "ok delete probe object", "ok repository key", "target cloud: every check passed"],
            checks.Select(c => c.StartsWith("  ", StringComparison.Ordinal) ? string.Join(' ', c.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(1)) + " " + c[8..c.IndexOf(':', StringComparison.Ordinal)] : c));
        Assert.Contains("  ok    get probe object: content matches", test.Stdout, StringComparison.Ordinal);
        Assert.Contains("  ok    repository key: opens the repository (0 snapshots)", test.Stdout, StringComparison.Ordinal);

        var backup = await RealDrorch.RunAsync(sandbox, null, "backup", "home");
        Assert.True(backup.ExitCode == 0, backup.ToString());
    }
}
