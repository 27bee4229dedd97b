using DrOrchestrator.Core.Security;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Targets;
using DrOrchestrator.Testing;
using Microsoft.Extensions.Configuration;

namespace DrOrchestrator.Orchestration.Tests;

public sealed class RepositoryInitTests
{
    [Fact]
    public async Task Two_runs_reaching_a_fresh_target_at_once_create_one_repository()
    {
        // A service's first backup and its system record start on a fresh target together: without
        // one init per target, both would write a key file (two master keys) and a config, and the
        // run whose config lost would seal its data with a key nobody else has.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["IndexCache:Enabled"] = "false",
            ["Repository:KdfIterations"] = "1000",
            [ConfigurationLoader.BaseDirectoryKey] = "/etc/drorch",
            [ConfigurationLoader.ConfigFileKey] = "/etc/drorch/drorch.json",
        }).Build();
        var access = new RepositoryAccess(new TargetRegistry(configuration, []), configuration);
        var store = new InMemoryObjectStore();
        // The first init's key file lands well before its config: the second run looks in between.
        store.BeforePut = key => Thread.Sleep(key.StartsWith("keys/", StringComparison.Ordinal) ? 200 : 0);
        var key = RepositoryKey.FromPassphrase("both runs know it");

        var runs = await Task.WhenAll(
            Task.Run(() => access.OpenOrInitAsync(store, key, CancellationToken.None)),
            Task.Run(() => access.OpenOrInitAsync(store, key, CancellationToken.None)));

        Assert.Single(store.Keys, k => k.StartsWith("keys/", StringComparison.Ordinal));
        Assert.Equal(runs[0].Config, runs[1].Config);
        await using var later = await access.OpenOrInitAsync(store, key, CancellationToken.None);
        Assert.Equal(runs[0].Config, later.Config);
        foreach (var run in runs)
        {
            await run.DisposeAsync();
        }
    }
}
