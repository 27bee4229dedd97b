using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Tests.Repository;

public sealed class BufferPoolTests
{
    [Fact]
    public void Reuses_the_best_fitting_returned_array()
    {
        var pool = new BufferPool(maxRetainedBytes: 64L << 20);
        var big = pool.Rent(4 << 20);
        var medium = pool.Rent(1 << 20);
        pool.Return(big);
        pool.Return(medium);

        Assert.Same(medium, pool.Rent(900_000));
        Assert.Same(big, pool.Rent(3 << 20));
        Assert.NotSame(big, pool.Rent(1 << 20)); // never hands out more than twice the request
    }

    [Fact]
    public void Keeps_at_most_the_retention_cap()
    {
        var pool = new BufferPool(maxRetainedBytes: 3L << 20);
        var arrays = Enumerable.Range(0, 4).Select(_ => pool.Rent(1 << 20)).ToList();
        arrays.ForEach(a => pool.Return(a));

        var again = Enumerable.Range(0, 4).Select(_ => pool.Rent(1 << 20)).ToList();

        Assert.Equal(3, again.Count(a => arrays.Contains(a)));
    }

    [Fact]
    public void Small_requests_come_from_the_shared_pool_and_sizes_are_at_least_requested()
    {
        var pool = new BufferPool(maxRetainedBytes: 1L << 20);
        Assert.InRange(pool.Rent(100).Length, 100, 128);
        Assert.InRange(pool.Rent(100_001).Length, 100_001, 100_001 + (64 * 1024));
    }
}
