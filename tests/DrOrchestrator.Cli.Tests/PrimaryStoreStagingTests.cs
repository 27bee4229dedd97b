using DrOrchestrator.Core.Replication;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Decorators;
using DrOrchestrator.Orchestration;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Targets;
using DrOrchestrator.Storage.Local;
using DrOrchestrator.Storage.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// The store `drorch backup` hands the engine, as the policy backup service builds it: a single
/// local primary keeps file staging (packs written once) behind its retry decorator; several
/// primaries are a mirror, which puts as before.
/// </summary>
public sealed class PrimaryStoreStagingTests : IDisposable
{
    private readonly TempDirectory _directory = new("primary-staging");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_single_local_primary_reaches_the_engine_with_file_staging_behind_its_retries()
    {
        var primaries = await PrepareAsync(["disk-a"]);

        Assert.IsType<RetryingObjectStore>(primaries.Store);
        var staging = Assert.IsType<LocalObjectStore>(ObjectStaging.Find(primaries.Store));
        Assert.Equal("local:" + Path.Combine(_directory.Path, "disk-a"), staging.Location);
        Assert.Equal("disk-a", staging.Description);
    }

    [Fact]
    public async Task Two_local_primaries_are_a_mirror_without_file_staging()
    {
        var primaries = await PrepareAsync(["disk-a", "disk-b"]);

        Assert.NotNull(primaries.Mirror);
        Assert.Null(ObjectStaging.Find(primaries.Store));
    }

    private Task<PrimarySet> PrepareAsync(string[] names)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Targets:disk-a:Type"] = "local",
            ["Targets:disk-a:Path"] = Path.Combine(_directory.Path, "disk-a"),
            ["Targets:disk-b:Type"] = "local",
            ["Targets:disk-b:Path"] = Path.Combine(_directory.Path, "disk-b"),
        }).Build();
        var targets = new ServiceCollection().AddDrOrchestratorTargets(configuration).BuildServiceProvider().GetRequiredService<TargetRegistry>();
        return PrimarySet.PrepareAsync(names, names.Length, targets, new RepositoryReplicator(), null, NullLogger.Instance, CancellationToken.None);
    }
}
