using System.Text.Json;

namespace DrOrchestrator.Cli.Tests;

/// <summary>`drorch status` (table, --json, --html, exit code) and `drorch report` over a real backup.</summary>
public sealed class StatusReportCommandTests : IDisposable
{
    private readonly CliSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private string Source(string name)
    {
        var source = Path.Combine(_sandbox.Root, name);
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "a.txt"), "alpha " + name + "\n");
        return source;
    }

    [Fact]
    public async Task Status_exits_0_while_every_policy_is_within_its_rpo_and_1_once_one_has_no_recovery_point()
    {
        await _sandbox.ApplyAndBackUpAsync("home", Source("home"));

        var json = await _sandbox.RunAsync("status", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using (var rows = JsonDocument.Parse(json.Stdout))
        {
            var row = Assert.Single(rows.RootElement.EnumerateArray());
            Assert.Equal(("home", "local", "primary", "ok", true), (
                row.GetProperty("policy").GetString(), row.GetProperty("target").GetString(), row.GetProperty("role").GetString(),
                row.GetProperty("state").GetString(), row.GetProperty("withinObjectives").GetBoolean()));
            Assert.InRange(row.GetProperty("exposureSeconds").GetDouble(), 0, 600);
            Assert.Equal(86400, row.GetProperty("rpoSeconds").GetDouble());
            Assert.Equal("never", row.GetProperty("lastDrill").GetString());
        }

        var plain = await _sandbox.RunAsync("status");
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.DoesNotContain('\u001b', plain.Stdout);
        Assert.Contains("all within objectives", plain.Stdout, StringComparison.Ordinal);

        var apply = await _sandbox.RunAsync("policy", "apply", _sandbox.WritePolicy("never", Source("never")));
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var breached = await _sandbox.RunAsync("status");
        Assert.True(breached.ExitCode == 1, breached.ToString());
        var line = Assert.Single(breached.Stdout.Split('\n'), l => l.StartsWith("never ", StringComparison.Ordinal));
        Assert.Matches(@"^never\s+local\s+rpo\s+1d 00h\s+never\s", line);
        Assert.Contains("1 outside objectives", breached.Stdout, StringComparison.Ordinal);

        var page = Path.Combine(_sandbox.Root, "status.html");
        var html = await _sandbox.RunAsync("status", "--html", page, "--json");
        Assert.Equal(1, html.ExitCode);
        var text = await File.ReadAllTextAsync(page);
        Assert.Contains("<tr class=\"objective ok\" data-policy=\"home\" data-target=\"local\">", text, StringComparison.Ordinal);
        Assert.Contains("<tr class=\"objective breach\" data-policy=\"never\" data-target=\"local\">", text, StringComparison.Ordinal);
        Assert.Contains("class=\"exposure-chart\" data-policy=\"home\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_lists_per_policy_its_targets_compliance_breaches_drills_and_chart_in_markdown_and_html()
    {
        await _sandbox.ApplyAndBackUpAsync("ledger", Source("ledger"));

        var md = await _sandbox.RunAsync("report", "--since", "7d", "--format", "md");
        Assert.True(md.ExitCode == 0, md.ToString());
        Assert.Contains("## Policy ledger", md.Stdout, StringComparison.Ordinal);
        // From the apply until the first backup completed the policy had no recovery point: one closed breach.
        Assert.Matches(@"\| local \| primary \| ok \| [^|]+ \| [0-9.]+ % \| [0-9.]+ % \| [0-9.]+ % \| 1 \| never \|", md.Stdout);
        Assert.Matches(@"### Breaches\n\n\| Target \| Start \| End \| Worst exposure \|\n\|---\|---\|---\|---:\|\n\| local \| [0-9-]+ [0-9:]+Z \| [0-9-]+ [0-9:]+Z \| no recovery point \|\n\n", md.Stdout);
        Assert.Contains("No drills in the period.", md.Stdout, StringComparison.Ordinal);
        Assert.Contains("<svg", md.Stdout, StringComparison.Ordinal);

        var file = Path.Combine(_sandbox.Root, "report.html");
        var html = await _sandbox.RunAsync("report", "--format", "html", "--output", file);
        Assert.True(html.ExitCode == 0, html.ToString());
        var text = await File.ReadAllTextAsync(file);
        Assert.StartsWith("<!DOCTYPE html>", text, StringComparison.Ordinal);
        Assert.Contains("<section class=\"policy\" data-policy=\"ledger\">", text, StringComparison.Ordinal);
        Assert.Equal("", html.Stdout);
    }

    [Fact]
    public async Task Report_refuses_a_period_that_is_not_a_duration()
    {
        var run = await _sandbox.RunAsync("report", "--since", "a month");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("drorch: error: --since: 'a month' is not a duration such as 30d, 7d or 12h", run.Stderr, StringComparison.Ordinal);
    }
}
