using System.Text.Json;
using DrOrchestrator.Catalog;
using DrOrchestrator.Testing.Http;

namespace DrOrchestrator.Server.Tests.Cluster;

/// <summary>
/// Alerts leave a cluster once: two `drorch serve` nodes on one PostgreSQL both run the watchdog
/// every second, but only the holder of the alerting lease sends; a breach is one `firing` and,
/// after a backup through the other node, one `resolved`, delivered to a real local listener.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterAlertTests(PostgresServerFixture postgres)
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task Two_nodes_send_one_alert_for_a_breach_and_one_resolved_when_a_backup_lands()
    {
        using var listener = new WebhookListener();
        await using var cluster = await ClusterSandbox.CreateAsync(postgres, settings =>
        {
            settings["Alerts"] = new Dictionary<string, object> { ["WebhookUrl"] = listener.Url, ["FirstRetryDelayMilliseconds"] = 20, ["MaxAttempts"] = 4 };
            settings["Monitoring"] = new Dictionary<string, object> { ["CheckSeconds"] = 1 };
        });
        var a = await cluster.StartNodeAsync();
        var b = await cluster.StartNodeAsync();
        var source = cluster.Source("late", 2, 4096);

        // No snapshot yet: the RPO is breached from the first pass of either node.
        await cluster.ApplyAsync(a, TestPolicies.Yaml("late", source, "0 0 0 1 1 ? 2099"));
        await WaitForAsync(() => Alerts(listener, "firing").Count >= 1, TimeSpan.FromSeconds(90), "a firing alert", cluster);
        await Task.Delay(TimeSpan.FromSeconds(6)); // several more passes on both nodes
        Assert.Single(Alerts(listener, "firing"));

        // A backup through node b brings a recovery point: one resolved, whichever node holds the lease.
        using (var admin = cluster.Admin(b))
        {
            var response = await admin.PostAsync("/api/policies/late/backup", null);
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        await WaitForAsync(() => Alerts(listener, "resolved").Count >= 1, TimeSpan.FromSeconds(90), "a resolved alert", cluster);
        await Task.Delay(TimeSpan.FromSeconds(6));
        var context = string.Join("\n", listener.Requests.Select(r => r.Body)) + "\n" + cluster.Output;
        Assert.True(Alerts(listener, "firing").Count == 1, context);
        Assert.True(Alerts(listener, "resolved").Count == 1, context);
        Assert.All(listener.Requests, r => Assert.Equal("rpo:late:local", JsonDocument.Parse(r.Body).RootElement.GetProperty("key").GetString()));
        Assert.Single(await cluster.CatalogAsync(c => c.ListSnapshotsAsync("late", Ct)));
        Assert.False(a.HasExited || b.HasExited, cluster.Output);
    }

    private static List<string> Alerts(WebhookListener listener, string status) =>
        [.. listener.Accepted.Where(body => JsonDocument.Parse(body).RootElement.GetProperty("status").GetString() == status)];

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what, ClusterSandbox cluster)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"no {what} within {timeout.TotalSeconds:0} s\n{cluster.Output}");
            await Task.Delay(200);
        }
    }
}
