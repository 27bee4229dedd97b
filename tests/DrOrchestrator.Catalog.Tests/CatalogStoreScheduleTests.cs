using DrOrchestrator.Catalog.Tests.Support;
using DrOrchestrator.Core.Policies;
using Microsoft.EntityFrameworkCore;

namespace DrOrchestrator.Catalog.Tests;

/// <summary>
/// The service's catalog tables: policy change history, deleted policies, the policy version and
/// scheduled fires with their unique (policy, kind, due time) key. Runs once per provider.
/// </summary>
public abstract class CatalogStoreScheduleTests : CatalogDatabaseTests
{
    [Fact]
    public async Task Every_policy_change_is_recorded_with_actor_and_text_before_and_after_and_moves_the_version()
    {
        var home = TestPolicies.Home();
        var changed = TestPolicies.Home(rpo: "12h");
        Assert.Equal(0, await Store.GetPolicyVersionAsync(Ct));

        await Store.UpsertPolicyAsync(home, PolicySerializer.Serialize(home), "alice", Ct);
        var v1 = await Store.GetPolicyVersionAsync(Ct);
        await Store.UpsertPolicyAsync(home, PolicySerializer.Serialize(home), "alice", Ct); // unchanged: not recorded
        Assert.Equal(v1, await Store.GetPolicyVersionAsync(Ct));
        Harness.Clock.Advance(TimeSpan.FromMinutes(1));
        await Store.UpsertPolicyAsync(changed, Ct); // the CLI's overload
        Assert.True(await Store.DeletePolicyAsync("home", "bob", Ct));
        Assert.False(await Store.DeletePolicyAsync("home", "bob", Ct));

        var changes = await Store.ListPolicyChangesAsync("home", 10, Ct);
        Assert.Equal(
            [(PolicyChangeKind.Deleted, "bob"), (PolicyChangeKind.Updated, CatalogStore.CliActor), (PolicyChangeKind.Created, "alice")],
            changes.Select(c => (c.Kind, c.ChangedBy)));
        Assert.Equal((PolicySerializer.Serialize(changed), (string?)null), (changes[0].YamlBefore, changes[0].YamlAfter));
        Assert.Equal((PolicySerializer.Serialize(home), PolicySerializer.Serialize(changed)), (changes[1].YamlBefore, changes[1].YamlAfter));
        Assert.Equal(((string?)null, PolicySerializer.Serialize(home)), (changes[2].YamlBefore, changes[2].YamlAfter));
        Assert.Equal(changes[0].Id, await Store.GetPolicyVersionAsync(Ct));
    }

    [Fact]
    public async Task A_deleted_policy_is_gone_from_lists_but_keeps_its_runs_and_comes_back_as_created()
    {
        var home = TestPolicies.Home();
        await Store.UpsertTargetAsync(new CatalogTarget("local", "local", null), Ct);
        await Store.UpsertPolicyAsync(home, Ct);
        var run = await Store.StartRunAsync("home", RunKind.Backup, Ct);

        await Store.DeletePolicyAsync("home", "alice", Ct);

        Assert.Empty(await Store.ListPoliciesAsync(Ct));
        Assert.Null(await Store.GetPolicyAsync("home", Ct));
        Assert.Equal("home", (await Store.GetRunAsync(run, Ct))!.PolicyName);
        Assert.Equal(PolicyChange.Created, await Store.UpsertPolicyAsync(home, PolicySerializer.Serialize(home), "alice", Ct));
        Assert.Equal("home", Assert.Single(await Store.ListPoliciesAsync(Ct)).Name);
        await using var db = Harness.Db();
        Assert.Equal(1, await db.Policies.CountAsync());
    }

    [Fact]
    public async Task A_fire_instant_is_claimed_once_and_its_status_follows_the_job()
    {
        var due = new DateTimeOffset(2027, 5, 1, 3, 0, 0, TimeSpan.Zero);

        var claims = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => Store.TryClaimFireAsync("home", RunKind.Backup, due, FireStatus.Enqueued, null, Ct))));
        var drill = await Store.TryClaimFireAsync("home", RunKind.Drill, due, FireStatus.Enqueued, null, Ct);
        var missed = await Store.TryClaimFireAsync("home", RunKind.Backup, due.AddHours(1), FireStatus.Missed, "late", Ct);

        var id = Assert.Single(claims, c => c is not null)!.Value;
        Assert.NotNull(drill);
        Assert.NotNull(missed);
        await Store.UpdateFireAsync(id, FireStatus.Done, "job-7", "succeeded", Ct);
        var fires = await Store.ListFiresAsync("home", null, Ct);
        Assert.Equal(
            [(RunKind.Backup, due, FireStatus.Done, "job-7", "succeeded"), (RunKind.Drill, due, FireStatus.Enqueued, null, null), (RunKind.Backup, due.AddHours(1), FireStatus.Missed, null, "late")],
            fires.Select(f => (f.Kind, f.ScheduledAt, f.Status, f.JobId, f.Detail)));
        Assert.Equal(due.AddHours(1), await Store.GetLastFireAsync("home", RunKind.Backup, Ct));
        Assert.Null(await Store.GetLastFireAsync("other", RunKind.Backup, Ct));
        Assert.Single(await Store.ListFiresAsync(null, FireStatus.Missed, Ct));
    }
}

public sealed class SqliteCatalogStoreScheduleTests : CatalogStoreScheduleTests
{
    private readonly TempSqliteFile _file = new();

    protected override Task<Dictionary<string, string?>> CreateDatabaseAsync() => Task.FromResult(_file.Settings());

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _file.Dispose();
    }
}
