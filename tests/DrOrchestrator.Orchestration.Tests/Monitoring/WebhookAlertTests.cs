using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DrOrchestrator.Catalog;
using DrOrchestrator.Orchestration.Monitoring;
using DrOrchestrator.Testing.Http;
using Microsoft.Extensions.Time.Testing;
using static DrOrchestrator.Orchestration.Tests.Monitoring.MonitoringTimeline;

namespace DrOrchestrator.Orchestration.Tests.Monitoring;

/// <summary>The watchdog's alerts delivered to a real local HTTP listener: de-duplication, resolve, retries, signature.</summary>
public sealed class WebhookAlertTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static Action<Dictionary<string, object>> Alerts(string url, string? secretVariable = null) => settings =>
    {
        var alerts = new Dictionary<string, object> { ["WebhookUrl"] = url, ["FirstRetryDelayMilliseconds"] = 20, ["MaxAttempts"] = 4 };
        if (secretVariable is not null)
        {
            alerts["SecretEnvironmentVariable"] = secretVariable;
        }

        settings["Alerts"] = alerts;
    };

    [Fact]
    public async Task A_long_breach_is_one_signed_alert_when_exposure_crosses_the_rpo_and_one_resolved_when_a_backup_lands()
    {
        using var listener = new WebhookListener();
        var secretVariable = "DRORCH_TEST_HOOK_SECRET_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable(secretVariable, "hook secret");
        try
        {
            var clock = new FakeTimeProvider(T0);
            await using var sandbox = await OrchestrationSandbox.CreateAsync(clock, Alerts(listener.Url, secretVariable));
            await ApplyAsync(sandbox.Catalog, PolicyYaml("home", "6h", "1h", "main"));
            await SnapshotAsync(sandbox.Catalog, "home", "s1", T0, "main", T0.AddMinutes(5));
            var watchdog = sandbox.Get<ObjectiveWatchdog>();

            clock.SetUtcNow(T0.AddHours(5));
            await watchdog.PassAsync(CancellationToken.None); // exposure 5 h: fine
            Assert.Empty(listener.Requests);

            // No backup since: exposure crosses 6 h; the pass after the crossing alerts, no backup needed.
            clock.SetUtcNow(T0.AddHours(6).AddMinutes(1));
            await watchdog.PassAsync(CancellationToken.None);
            for (var hour = 7; hour <= 12; hour++)
            {
                clock.SetUtcNow(T0.AddHours(hour));
                await watchdog.PassAsync(CancellationToken.None);
            }

            await SnapshotAsync(sandbox.Catalog, "home", "s2", T0.AddHours(12), "main", T0.AddHours(12.5));
            clock.SetUtcNow(T0.AddHours(13));
            await watchdog.PassAsync(CancellationToken.None);
            clock.SetUtcNow(T0.AddHours(14));
            await watchdog.PassAsync(CancellationToken.None);

            var requests = listener.Requests.ToList();
            Assert.Equal(2, requests.Count);
            var firing = JsonDocument.Parse(requests[0].Body).RootElement;
            var resolved = JsonDocument.Parse(requests[1].Body).RootElement;
            Assert.Equal("firing", firing.GetProperty("status").GetString());
            Assert.Equal("resolved", resolved.GetProperty("status").GetString());
            foreach (var alert in new[] { firing, resolved })
            {
                Assert.Equal("rpoBreach", alert.GetProperty("kind").GetString());
                Assert.Equal("home", alert.GetProperty("policy").GetString());
                Assert.Equal("main", alert.GetProperty("target").GetString());
                Assert.Equal("rpo:home:main", alert.GetProperty("key").GetString());
                // The breach started when exposure reached 6 h: recovery point T0 + RPO.
                Assert.Equal(T0.AddHours(6), alert.GetProperty("details").GetProperty("breachStart").GetDateTimeOffset());
            }

            Assert.Equal(6 * 3600 + 60, firing.GetProperty("details").GetProperty("exposureSeconds").GetDouble());
            Assert.Equal(3600, resolved.GetProperty("details").GetProperty("exposureSeconds").GetDouble());
            Assert.NotEqual(firing.GetProperty("id").GetString(), resolved.GetProperty("id").GetString());
            foreach (var (body, signature, _) in requests)
            {
                var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("hook secret"), Encoding.UTF8.GetBytes(body)));
                Assert.Equal(expected, signature);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(secretVariable, null);
        }
    }

    [Fact]
    public async Task A_listener_that_fails_twice_then_succeeds_receives_the_alert_once()
    {
        using var listener = new WebhookListener(HttpStatusCode.InternalServerError, HttpStatusCode.ServiceUnavailable);
        await using var sandbox = await OrchestrationSandbox.CreateAsync(configure: Alerts(listener.Url));
        var now = DateTimeOffset.UtcNow;
        await ApplyAsync(sandbox.Catalog, PolicyYaml("db", "1h", "1h", "main"));
        await SnapshotAsync(sandbox.Catalog, "db", "old", now.AddHours(-3), "main", now.AddHours(-3));
        var watchdog = sandbox.Get<ObjectiveWatchdog>();

        await watchdog.PassAsync(CancellationToken.None);
        await watchdog.PassAsync(CancellationToken.None);

        var requests = listener.Requests.ToList();
        Assert.Equal([HttpStatusCode.InternalServerError, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK], requests.Select(r => r.Answer));
        // The same notification three times (same id), accepted once; the second pass sends nothing.
        Assert.Single(requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("id").GetString()).Distinct());
        var accepted = JsonDocument.Parse(Assert.Single(listener.Accepted)).RootElement;
        Assert.Equal("firing", accepted.GetProperty("status").GetString());
        Assert.Null(requests[0].Signature);
    }

    [Fact]
    public async Task A_failed_drill_a_drill_over_rto_and_a_failed_backup_alert_once_each()
    {
        using var listener = new WebhookListener();
        await using var sandbox = await OrchestrationSandbox.CreateAsync(configure: Alerts(listener.Url));
        var now = DateTimeOffset.UtcNow;
        await ApplyAsync(sandbox.Catalog, PolicyYaml("web", "24h", "1h", "main"));
        await SnapshotAsync(sandbox.Catalog, "web", "s1", now.AddMinutes(-10), "main", now.AddMinutes(-9));
        var watchdog = sandbox.Get<ObjectiveWatchdog>();
        // A drill that failed before the watchdog started was its predecessor's to report.
        await DrillAsync(sandbox.Catalog, "web", "main", "s1", DrillOutcome.Failed, 10, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        await watchdog.PassAsync(CancellationToken.None);
        Assert.Empty(listener.Requests);

        var failed = await DrillAsync(sandbox.Catalog, "web", "main", "s1", DrillOutcome.Failed, 10, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1),
            new DrillMismatch("docs/a.txt", "00", "ff", "content differs"));
        var slow = await DrillAsync(sandbox.Catalog, "web", "main", "s1", DrillOutcome.PassedOverRto, 10, TimeSpan.FromHours(2), TimeSpan.FromHours(1));
        var backup = await sandbox.Catalog.StartRunAsync("web", RunKind.Backup, CancellationToken.None);
        await sandbox.Catalog.CompleteRunAsync(backup, RunStatus.Failed, RunFigures.None, [], "source /srv/web unreadable", CancellationToken.None);
        await watchdog.PassAsync(CancellationToken.None);
        await watchdog.PassAsync(CancellationToken.None);

        var alerts = listener.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Equal(
            [("drillFailed", $"drill:{failed}"), ("drillOverRto", $"drill:{slow}"), ("backupFailed", $"backup:{backup}")],
            alerts.Select(a => (a.GetProperty("kind").GetString(), a.GetProperty("key").GetString())));
        Assert.Equal(1, alerts[0].GetProperty("details").GetProperty("mismatches").GetInt64());
        Assert.Contains("source /srv/web unreadable", alerts[2].GetProperty("summary").GetString(), StringComparison.Ordinal);
    }
}
