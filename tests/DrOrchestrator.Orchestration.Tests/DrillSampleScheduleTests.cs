using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Drill;
using DrOrchestrator.Orchestration.Drill;

namespace DrOrchestrator.Orchestration.Tests;

/// <summary>The rolling sample: least recently verified first, and overdue files forced in even beyond the sample size.</summary>
public sealed class DrillSampleScheduleTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Period = TimeSpan.FromDays(30);

    private static readonly SnapshotFile[] Files = [.. Enumerable.Range(0, 10).Select(i => new SnapshotFile($"src/f{i}", 10, new string('0', 64)))];

    [Fact]
    public void Files_never_verified_come_first_then_the_least_recently_verified()
    {
        // f0..f5 verified 10, 9, .. 5 days ago; f6..f9 never (seen 1 day ago). Last drill: 5 days ago.
        var states = Enumerable.Range(0, 10).ToDictionary(
            i => $"src/f{i}",
            i => i < 6 ? new DrillFileState(Now.AddDays(-20), Now.AddDays(-(10 - i))) : new DrillFileState(Now.AddDays(-1), null));

        var sample = DrillSampleSchedule.Select(Files, states, new DrillSample(6, null), Now, Period, new Random(1));

        Assert.Equal(["src/f0", "src/f1", "src/f6", "src/f7", "src/f8", "src/f9"], sample.Select(f => f.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Files_that_would_be_overdue_by_the_next_drill_are_all_taken_even_beyond_the_sample_size()
    {
        // The last drill (the newest verification) was 3 days ago, so the next is expected in 3
        // days: a file verified 27 days ago or earlier would pass the 30-day period before then.
        // f0..f3 were verified 28 days ago, f4..f9 by that last drill.
        var states = Enumerable.Range(0, 10).ToDictionary(
            i => $"src/f{i}",
            i => new DrillFileState(Now.AddDays(-60), i < 4 ? Now.AddDays(-28) : Now.AddDays(-3)));

        var sample = DrillSampleSchedule.Select(Files, states, new DrillSample(2, null), Now, Period, new Random(1));

        Assert.Equal(["src/f0", "src/f1", "src/f2", "src/f3"], sample.Select(f => f.Path).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("5", 5, 10, 5)]
    [InlineData("50", 50, 10, 10)]
    [InlineData("10%", null, 25, 3)]
    [InlineData("100%", null, 7, 7)]
    [InlineData("0.1%", null, 10, 1)]
    public void A_sample_is_a_count_or_a_percentage_of_the_files(string text, int? files, int total, int expected)
    {
        var sample = DrillSample.TryParse(text);

        Assert.NotNull(sample);
        Assert.Equal(files, sample.Files);
        Assert.Equal(expected, sample.FilesOf(total));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("0%")]
    [InlineData("101%")]
    [InlineData("some")]
    public void Anything_else_is_not_a_sample(string text) => Assert.Null(DrillSample.TryParse(text));
}
