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

/// <summary>
/// Breaches and the exposure profile on one hand-computed timeline with gaps (RPO 6 h, window
/// [0 h, 48 h)). Recovery point RP completed at C keeps exposure within 6 h during [C, RP + 6]:
/// A (RP 0, C 1) → [1, 6]; B (5, 5.5) → [5.5, 11]; C (20, 22) → [22, 26]; D (24, 30) → nothing
/// (it completed at RP + 6); E (40, 42) → [42, 46]. Compliant: [1, 11] + [22, 26] + [42, 46] = 18 h of 48.
/// </summary>
public sealed class RpoBreachTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Rpo = TimeSpan.FromHours(6);

    private static readonly CompletedRecoveryPoint[] Timeline =
    [
        Point(0, 1), Point(5, 5.5), Point(20, 22), Point(24, 30), Point(40, 42),
    ];

    private static DateTimeOffset H(double hours) => T0.AddHours(hours);

    private static CompletedRecoveryPoint Point(double recoveryPoint, double completedAt) => new(H(recoveryPoint), H(completedAt));

    [Fact]
    public void Compliance_of_the_timeline_is_18_of_48_hours()
    {
        Assert.Equal(18.0 / 48.0, RpoCalculator.Compliance(Timeline, Rpo, H(0), H(48)), 12);
        // Last 24 h [24, 48): [24, 26] + [42, 46] = 6 h.
        Assert.Equal(0.25, RpoCalculator.Compliance(Timeline, Rpo, H(24), H(48)), 12);
    }

    [Fact]
    public void Breaches_are_the_gaps_between_compliant_intervals_with_their_worst_exposure()
    {
        var breaches = RpoCalculator.Breaches(Timeline, Rpo, H(0), H(48));

        Assert.Equal(
            [
                // Nothing complete before A completed at 1 h: unbounded.
                new RpoBreach(H(0), H(1), null),
                // B's window ends at 11 h; just before C completes at 22 h exposure is 22 − 5 = 17 h.
                new RpoBreach(H(11), H(22), TimeSpan.FromHours(17)),
                // C's window ends at 26 h; D (late) drops exposure at 30 h from 10 h to 6 h; just before E completes: 42 − 24 = 18 h.
                new RpoBreach(H(26), H(42), TimeSpan.FromHours(18)),
                // E's window ends at 46 h and nothing newer completes: still open at 48 h with 48 − 40 = 8 h.
                new RpoBreach(H(46), null, TimeSpan.FromHours(8)),
            ],
            breaches);
    }

    [Fact]
    public void Breach_durations_and_compliant_time_add_up_to_the_window()
    {
        var breaches = RpoCalculator.Breaches(Timeline, Rpo, H(0), H(48));
        var breached = breaches.Sum(b => ((b.End ?? H(48)) - b.Start).TotalHours);

        Assert.Equal(30, breached, 9);
        Assert.Equal(48 - breached, RpoCalculator.Compliance(Timeline, Rpo, H(0), H(48)) * 48, 9);
    }

    [Fact]
    public void A_window_starting_inside_a_breach_clips_it_and_one_fully_compliant_has_none()
    {
        Assert.Equal([new RpoBreach(H(15), H(22), TimeSpan.FromHours(17))], RpoCalculator.Breaches(Timeline, Rpo, H(15), H(23)));
        Assert.Empty(RpoCalculator.Breaches(Timeline, Rpo, H(2), H(10)));
    }

    [Fact]
    public void Exposure_profile_has_the_value_just_before_and_after_every_completion()
    {
        var profile = RpoCalculator.ExposureProfile(Timeline, H(20), H(32));

        Assert.Equal(
            [
                new ExposureSample(H(20), TimeSpan.FromHours(15)), // newest complete: B (RP 5)
                new ExposureSample(H(22), TimeSpan.FromHours(17)),
                new ExposureSample(H(22), TimeSpan.FromHours(2)),  // C (RP 20) completes
                new ExposureSample(H(30), TimeSpan.FromHours(10)),
                new ExposureSample(H(30), TimeSpan.FromHours(6)),  // D (RP 24) completes
                new ExposureSample(H(32), TimeSpan.FromHours(8)),
            ],
            profile);
        Assert.Equal(new ExposureSample(H(0.5), null), RpoCalculator.ExposureProfile(Timeline, H(0.5), H(0.9))[0]);
    }
}

public sealed class RtoPredictorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Prediction_is_size_over_the_median_throughput_of_the_newest_five_samples()
    {
        // Newest five (by time): 10, 40, 20, 30, 50 MB/s → median 30 MB/s; the oldest (1 MB/s) is ignored.
        ThroughputSample[] samples =
        [
            new(1_000_000, TimeSpan.FromSeconds(1), T0),
            new(100_000_000, TimeSpan.FromSeconds(10), T0.AddDays(1)),
            new(400_000_000, TimeSpan.FromSeconds(10), T0.AddDays(2)),
            new(200_000_000, TimeSpan.FromSeconds(10), T0.AddDays(3)),
            new(300_000_000, TimeSpan.FromSeconds(10), T0.AddDays(4)),
            new(500_000_000, TimeSpan.FromSeconds(10), T0.AddDays(5)),
        ];

        Assert.Equal(30_000_000, RtoPredictor.BytesPerSecond(samples));
        Assert.Equal(TimeSpan.FromSeconds(60), RtoPredictor.Predict(1_800_000_000, samples));
    }

    [Fact]
    public void Without_usable_samples_there_is_no_prediction()
    {
        Assert.Null(RtoPredictor.Predict(1000, []));
        Assert.Null(RtoPredictor.Predict(1000, [new ThroughputSample(0, TimeSpan.FromSeconds(3), T0), new ThroughputSample(10, TimeSpan.Zero, T0)]));
    }
}
