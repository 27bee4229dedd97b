using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Storage.Tests;

public sealed class BoundedReadStreamTests
{
    [Fact]
    public async Task It_stops_at_the_bound_and_leaves_the_inner_stream_open_when_asked()
    {
        var inner = new MemoryStream([.. Enumerable.Range(0, 100).Select(i => (byte)i)]) { Position = 10 };

        await using (var bounded = new BoundedReadStream(inner, 5, leaveOpen: true))
        {
            var copy = new MemoryStream();
            await bounded.CopyToAsync(copy);
            Assert.Equal([10, 11, 12, 13, 14], copy.ToArray());
            Assert.Equal(0, bounded.Read(new byte[10]));
        }

        Assert.Equal(15, inner.Position);
    }

    [Fact]
    public void It_disposes_the_inner_stream_by_default()
    {
        var inner = new MemoryStream(new byte[10]);

        new BoundedReadStream(inner, 5).Dispose();

        Assert.False(inner.CanRead);
    }
}
