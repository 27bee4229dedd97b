namespace DrOrchestrator.Cli.Tests;

public sealed class PolicyCommandTests : IDisposable
{
    private readonly CliSandbox _sandbox = new();

    [Fact]
    public async Task Validate_reports_every_problem_as_file_line_field_message_and_exits_2()
    {
        var file = Path.Combine(_sandbox.Root, "bad.yaml");
        File.WriteAllText(file, """
            name: Bad Name
            sources:
              - type: files
                paths: [relative/path]
            targets:
              - name: nowhere
                role: primary
            schedule: { cron: "0 0 2 * * ?", timeZone: UTC }
            rpo: soon
            rto: 1h
            """);

        var run = await _sandbox.RunAsync("policy", "validate", file);

        Assert.Equal(2, run.ExitCode);
        var lines = run.Stderr.Trim().Split('\n');
        Assert.Contains(lines, l => l.StartsWith($"drorch: error: {file}:1: name: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"drorch: error: {file}:4: sources[0].paths[0]: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"drorch: error: {file}:6: targets[0].name: ", StringComparison.Ordinal) && l.Contains("nowhere", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"drorch: error: {file}:9: rpo: ", StringComparison.Ordinal) && l.Contains("soon", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Apply_of_an_invalid_file_changes_nothing()
    {
        var good = _sandbox.WritePolicy("good", "/srv/data");
        Assert.Equal(0, (await _sandbox.RunAsync("policy", "apply", good)).ExitCode);
        var bad = _sandbox.WritePolicy("good", "/srv/other", extra: "rto: -5m");

        var run = await _sandbox.RunAsync("policy", "apply", bad);

        Assert.Equal(2, run.ExitCode);
        var list = await _sandbox.RunAsync("policy", "list", "--json");
        Assert.Contains("\"name\": \"good\"", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"rtoSeconds\": 3600", list.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_accepts_a_good_file()
    {
        var run = await _sandbox.RunAsync("policy", "validate", _sandbox.WritePolicy("fine", "/srv/data"));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.EndsWith("fine.yaml: ok (fine)", run.Stdout.Trim(), StringComparison.Ordinal);
    }

    public void Dispose() => _sandbox.Dispose();
}
