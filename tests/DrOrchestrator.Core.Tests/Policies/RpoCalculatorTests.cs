using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Core.Tests.Policies;

public sealed class RpoCalculatorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset H(double hours) => T0.AddHours(hours);

    private static CompletedRecoveryPoint Point(double recoveryPoint, double completedAt) => new(H(recoveryPoint), H(completedAt));

    [Fact]
    public void Exposure_is_now_minus_newest_complete_recovery_point()
    {
        CompletedRecoveryPoint[] points = [Point(0, 1), Point(24, 25), Point(48, 60)];

        Assert.Equal(TimeSpan.FromHours(26), RpoCalculator.CurrentExposure(points, H(50)));
        Assert.Equal(H(24), RpoCalculator.NewestRecoveryPoint(points, H(50)));
        Assert.Equal(TimeSpan.FromHours(12), RpoCalculator.CurrentExposure(points, H(60)));
    }

    [Fact]
    public void Exposure_is_unknown_before_anything_completes()
    {
        Assert.Null(RpoCalculator.CurrentExposure([Point(0, 5)], H(4)));
        Assert.Null(RpoCalculator.CurrentExposure([], H(4)));
    }

    [Fact]
    public void Compliance_is_the_covered_fraction_of_the_window()
    {
        // [1,24] and [21,44] merge into [1,44]: 43 h of 100 h.
        CompletedRecoveryPoint[] points = [Point(0, 1), Point(20, 21)];

        Assert.Equal(0.43, RpoCalculator.Compliance(points, TimeSpan.FromHours(24), H(0), H(100)), 10);
    }

    [Fact]
    public void Compliance_counts_gaps_and_clips_to_the_window()
    {
        // [-9,14] clipped to [0,14]; [50,74]; [90,114] clipped to [90,100]: 14 + 24 + 10 = 48 of 100.
        CompletedRecoveryPoint[] points = [Point(-10, -9), Point(50, 50), Point(90, 90)];

        Assert.Equal(0.48, RpoCalculator.Compliance(points, TimeSpan.FromHours(24), H(0), H(100)), 10);
    }

    [Fact]
    public void Late_completion_beyond_the_objective_adds_no_compliant_time()
    {
        // Recovery point at 0 only completed at 30 h: it was already older than the 24 h objective.
        Assert.Equal(0, RpoCalculator.Compliance([Point(0, 30)], TimeSpan.FromHours(24), H(0), H(100)));
    }

    [Fact]
    public void Always_fresh_snapshots_are_fully_compliant()
    {
        var points = Enumerable.Range(-1, 12).Select(i => Point(i * 10, i * 10 + 1)).ToArray();

        Assert.Equal(1.0, RpoCalculator.Compliance(points, TimeSpan.FromHours(24), H(0), H(100)), 10);
    }

    [Fact]
    public void Invalid_window_or_objective_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => RpoCalculator.Compliance([], TimeSpan.FromHours(1), H(5), H(5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => RpoCalculator.Compliance([], TimeSpan.Zero, H(0), H(5)));
    }
}
