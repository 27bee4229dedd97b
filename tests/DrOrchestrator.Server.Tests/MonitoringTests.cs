using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using DrOrchestrator.Catalog;
using DrOrchestrator.Orchestration.Monitoring;
using Microsoft.Extensions.DependencyInjection;

namespace DrOrchestrator.Server.Tests;

/// <summary>
/// The service's monitoring over real HTTP: /metrics in Prometheus format with the objectives'
/// values, and the status page at / rendered by headless Chromium (the Debian package, installed
/// by ./build.sh deps), its screenshot kept under TestResults/artifacts.
/// </summary>
public sealed partial class MonitoringTests
{
    private static readonly TimeSpan PassTimeout = TimeSpan.FromSeconds(60);

    private static Action<Dictionary<string, object>> Monitoring(bool publicPage = false) => settings =>
        settings["Monitoring"] = new Dictionary<string, object> { ["CheckSeconds"] = 1, ["PublicStatusPage"] = publicPage };

    [Fact]
    public async Task Metrics_scraped_from_the_service_carry_the_objectives_of_each_policy_and_target()
    {
        await using var server = await ServerSandbox.StartAsync(Monitoring());
        var policy = "metrics" + Guid.NewGuid().ToString("N")[..6];
        await SeedAsync(server, policy);

        var scrape = await WaitForScrapeAsync(server, s => Series(s, "drorch_run_duration_seconds_count", ("policy", policy), ("kind", "backup")).Count > 0);

        var exposure = Single(scrape, "drorch_rpo_exposure_seconds", ("policy", policy), ("target", "local"));
        Assert.InRange(exposure, 7200, 7200 + PassTimeout.TotalSeconds + 60); // recovery point 2 h ago, read by a pass since
        Assert.Equal(86400, Single(scrape, "drorch_rpo_target_seconds", ("policy", policy)));
        Assert.Equal(42, Single(scrape, "drorch_rto_achieved_seconds", ("policy", policy), ("target", "local")));
        // Drill throughput 4.2 MB in 42 s = 100 kB/s; the newest snapshot holds 1 MB → 10 s.
        Assert.Equal(10, Single(scrape, "drorch_rto_predicted_seconds", ("policy", policy), ("target", "local")), 6);
        Assert.Equal(1, Single(scrape, "drorch_drill_last_success", ("policy", policy), ("target", "local")));
        Assert.Equal(5000, Single(scrape, "drorch_backup_bytes_total", ("policy", policy), ("kind", "read")));
        Assert.Equal(3000, Single(scrape, "drorch_backup_bytes_total", ("policy", policy), ("kind", "new")));
        Assert.Equal(1000, Single(scrape, "drorch_backup_bytes_total", ("policy", policy), ("kind", "stored")));
        Assert.Equal(1, Single(scrape, "drorch_run_duration_seconds_count", ("policy", policy), ("kind", "backup"), ("status", "succeeded")));
        Assert.Equal(1, Single(scrape, "drorch_run_duration_seconds_count", ("policy", policy), ("kind", "drill"), ("status", "succeeded")));

        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client(null).GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Status_page_at_the_root_renders_in_headless_chromium_with_every_row_the_chart_and_the_drills()
    {
        var chromium = Chromium();
        await using var server = await ServerSandbox.StartAsync(Monitoring(publicPage: true));
        var policy = "page" + Guid.NewGuid().ToString("N")[..6];
        await SeedAsync(server, policy);

        var url = new Uri(server.BaseAddress, "/").ToString();
        var dom = await RunAsync(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--dump-dom", url);

        Assert.Contains($"<tr class=\"objective ok\" data-policy=\"{policy}\" data-target=\"local\">", dom, StringComparison.Ordinal);
        Assert.Matches($"<svg[^>]*class=\"exposure-chart\"[^>]*data-policy=\"{policy}\"", dom);
        Assert.Matches($"<polyline class=\"exposure\" data-target=\"local\"[^>]*points=\"[0-9., ]+\"", dom);
        Assert.Contains("class=\"rpo-target\"", dom, StringComparison.Ordinal);
        Assert.Contains("<tr class=\"drill passed\">", dom, StringComparison.Ordinal);

        var artifacts = Path.Combine(RepositoryRoot(), "TestResults", "artifacts");
        Directory.CreateDirectory(artifacts);
        var screenshot = Path.Combine(artifacts, "status-page.png");
        File.Delete(screenshot);
        await RunAsync(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1400,1000", $"--screenshot={screenshot}", url);
        var png = await File.ReadAllBytesAsync(screenshot);
        Assert.True(png.Length > 10_000, $"screenshot {screenshot} is only {png.Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }

    /// <summary>
    /// Waits for the watchdog's first pass (runs finished before it are adopted silently), then
    /// seeds a policy: a snapshot 2 h old on local, a passed drill (4.2 MB in 42 s) and a
    /// successful backup run.
    /// </summary>
    private static async Task SeedAsync(ServerSandbox server, string policy)
    {
        var snapshot = server.App.Services.GetRequiredService<ObjectivesSnapshot>();
        await ServerSandbox.WaitForAsync(() => Task.FromResult(snapshot.Report is not null), done => done, PassTimeout, "first watchdog pass");
        var response = await server.ApplyAsync(TestPolicies.Yaml(policy, server.Source(policy, 2), "0 0 3 * * ?"), policy + ".yaml");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var catalog = server.App.Services.GetRequiredService<CatalogStore>();
        var recoveryPoint = DateTimeOffset.UtcNow.AddHours(-2);
        await catalog.RecordSnapshotAsync(
            policy, new SnapshotFigures("snap-" + policy, SnapshotKind.Files, recoveryPoint, recoveryPoint, "host", "tree", null, 2, 1, 1_000_000, 1_000_000, 1_000_000),
            "local", recoveryPoint.AddMinutes(1), CancellationToken.None);
        var drill = await catalog.StartRunAsync(policy, RunKind.Drill, "local", CancellationToken.None);
        await catalog.RecordDrillAsync(drill, new DrillOutcomeInput("snap-" + policy, DrillOutcome.Passed, 2, 4_200_000, TimeSpan.FromSeconds(42), TimeSpan.FromHours(1), []), CancellationToken.None);
        await catalog.CompleteRunAsync(drill, RunStatus.Succeeded, new RunFigures(4_200_000, 0, 0, 2, 0, "snap-" + policy), [], null, CancellationToken.None);
        var backup = await catalog.StartRunAsync(policy, RunKind.Backup, CancellationToken.None);
        await catalog.CompleteRunAsync(backup, RunStatus.Succeeded, new RunFigures(5000, 3000, 1000, 2, 0, "snap-" + policy), [], null, CancellationToken.None);
    }

    private static async Task<string> WaitForScrapeAsync(ServerSandbox server, Func<string, bool> done)
    {
        using var client = server.Operator();
        return await ServerSandbox.WaitForAsync(() => client.GetStringAsync("/metrics"), done, PassTimeout, "metrics after a watchdog pass");
    }

    private static double Single(string scrape, string name, params (string Label, string Value)[] labels)
    {
        var values = Series(scrape, name, labels);
        Assert.True(values.Count == 1, $"{name} {string.Join(",", labels)}: {values.Count} series in\n{scrape}");
        return values[0];
    }

    /// <summary>Values of the series of <paramref name="name"/> whose labels include <paramref name="labels"/> (Prometheus text format).</summary>
    private static List<double> Series(string scrape, string name, params (string Label, string Value)[] labels) =>
    [
        .. scrape.Split('\n')
            .Select(line => SampleLine().Match(line))
            .Where(m => m.Success && m.Groups["name"].Value == name)
            .Where(m => labels.All(l => m.Groups["labels"].Value.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal)))
            .Select(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)),
    ];

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>[^}]*)\} (?<value>\S+)")]
    private static partial Regex SampleLine();

    private static string Chromium()
    {
        foreach (var candidate in new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail("headless Chromium is missing: /usr/bin/chromium not found (./build.sh deps installs the Debian package 'chromium')");
        return "";
    }

    private static async Task<string> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["HOME"] = Path.GetTempPath();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}: {await error}");
        return await output;
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DrOrchestrator.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"no DrOrchestrator.sln above {AppContext.BaseDirectory}");
    }
}
