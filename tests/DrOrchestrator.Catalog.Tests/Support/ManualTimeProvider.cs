namespace DrOrchestrator.Catalog.Tests.Support;

/// <summary>A clock the test moves by hand, so stored timestamps can be asserted exactly.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
