using DrOrchestrator.Orchestration.Policies;

namespace DrOrchestrator.Orchestration.Tests;

public sealed class PolicyApplyServiceTests : IAsyncLifetime
{
    private OrchestrationSandbox _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await OrchestrationSandbox.CreateAsync();

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task Apply_records_the_policy_and_its_targets_by_name_and_type()
    {
        var applied = await _sandbox.Get<PolicyApplyService>().ApplyAsync(_sandbox.WritePolicy("web"), CancellationToken.None);

        Assert.Equal(["web"], applied.Select(p => p.Name));
        var stored = await _sandbox.Catalog.GetPolicyAsync("web", CancellationToken.None);
        Assert.NotNull(stored);
        var policy = stored.ToPolicy();
        Assert.Equal(["main"], policy.Primaries.Select(t => t.Name));
        Assert.Equal(["offsite"], policy.Replicas.Select(t => t.Name));
        Assert.Equal(TimeSpan.FromHours(24), stored.Rpo);
        var targets = await _sandbox.Catalog.ListTargetsAsync(CancellationToken.None);
        Assert.Equal([("main", MemoryTargets.TypeName), ("offsite", MemoryTargets.TypeName)], targets.Select(t => (t.Name, t.Type)).Order());
    }

    [Fact]
    public async Task A_policy_naming_an_unknown_target_is_refused_and_nothing_is_applied()
    {
        var path = _sandbox.WritePolicy("web", replica: "nowhere");

        var error = await Assert.ThrowsAsync<PolicyValidationException>(
            () => _sandbox.Get<PolicyApplyService>().ApplyAsync(path, CancellationToken.None));

        var problem = Assert.Single(error.Problems);
        Assert.Equal(path, problem.File);
        Assert.True(problem.Line > 0, problem.ToString());
        Assert.Contains("'nowhere'", problem.Message, StringComparison.Ordinal);
        Assert.Null(await _sandbox.Catalog.GetPolicyAsync("web", CancellationToken.None));
        Assert.Empty(await _sandbox.Catalog.ListTargetsAsync(CancellationToken.None));
    }
}
