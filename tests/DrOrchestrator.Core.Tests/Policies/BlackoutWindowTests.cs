using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Core.Tests.Policies;

/// <summary>Blackout windows: parsed from the schedule, refused with file:line: field, kept by the canonical text.</summary>
public sealed class BlackoutWindowTests
{
    private const string ScheduleLine = "schedule: { cron: \"0 0 2 * * ?\", timeZone: Europe/Berlin }";

    [Fact]
    public void Windows_are_parsed_in_order_and_survive_the_canonical_round_trip()
    {
        var yaml = PolicyYaml.With(ScheduleLine, "schedule: { cron: \"0 0 2 * * ?\", timeZone: Europe/Berlin, blackout: [\"08:00-18:00\", \"22:30-01:15\"] }");

        var policy = Assert.Single(PolicyYaml.Parse(yaml).Policies);
        var again = Assert.Single(PolicyFileParser.Parse(new StringReader(PolicySerializer.Serialize(policy)), "canonical.yaml").Policies);

        Assert.Equal([new BlackoutWindow(new TimeOnly(8, 0), new TimeOnly(18, 0)), new BlackoutWindow(new TimeOnly(22, 30), new TimeOnly(1, 15))], policy.Schedule.Blackouts);
        Assert.Equal([false, true], policy.Schedule.Blackouts.Select(b => b.WrapsMidnight));
        Assert.Equal(policy.Schedule.Blackouts, again.Schedule.Blackouts);
        Assert.Equal(PolicySerializer.Serialize(policy), PolicySerializer.Serialize(again));
    }

    [Fact]
    public void A_policy_without_windows_keeps_its_canonical_text()
    {
        var policy = Assert.Single(PolicyYaml.Parse(PolicyYaml.Full).Policies);

        Assert.Empty(policy.Schedule.Blackouts);
        Assert.DoesNotContain("blackout", PolicySerializer.Serialize(policy), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("8-18")]
    [InlineData("08:00-08:00")]
    [InlineData("08:00-24:00")]
    [InlineData("08:00")]
    public void A_malformed_window_is_named_with_file_line_and_field(string window)
    {
        var yaml = PolicyYaml.With(ScheduleLine, $"schedule: {{ cron: \"0 0 2 * * ?\", timeZone: Europe/Berlin, blackout: [\"{window}\"] }}");

        Assert.Equal([$"p.yaml:14: schedule.blackout[0]: '{window}' is not a blackout window (HH:mm-HH:mm, e.g. 08:00-18:00)"], PolicyYaml.Problems(yaml));
    }
}
