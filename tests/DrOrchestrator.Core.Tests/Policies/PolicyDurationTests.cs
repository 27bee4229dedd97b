using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Core.Tests.Policies;

public sealed class PolicyDurationTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("15m", 900)]
    [InlineData("24h", 86_400)]
    [InlineData("7d", 604_800)]
    [InlineData("1h30m", 5_400)]
    [InlineData("1d2h3m4s", 93_784)]
    [InlineData("0s", 0)]
    public void Valid_durations_parse(string text, long seconds)
    {
        Assert.True(PolicyDuration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("24")]
    [InlineData("1.5h")]
    [InlineData("-1h")]
    [InlineData("30m1h")]
    [InlineData("1h 30m")]
    [InlineData("1H")]
    [InlineData("99999999999999999999d")]
    public void Invalid_durations_are_rejected(string text)
    {
        Assert.False(PolicyDuration.TryParse(text, out _));
    }

    [Theory]
    [InlineData(86_400, "1d")]
    [InlineData(5_400, "1h30m")]
    [InlineData(90, "1m30s")]
    [InlineData(93_784, "1d2h3m4s")]
    [InlineData(0, "0s")]
    public void Format_is_canonical(long seconds, string expected)
    {
        Assert.Equal(expected, PolicyDuration.Format(TimeSpan.FromSeconds(seconds)));
    }
}
