using DrOrchestrator.Core.Placement;

namespace DrOrchestrator.Core.Tests.Placement;

public sealed class XxHash64Tests
{
    // Reference values from the canonical XXH64 (cross-checked with System.IO.Hashing.XxHash64).
    [Theory]
    [InlineData("", 0xEF46DB3751D8E999UL)]
    [InlineData("a", 0xD24EC4F1A98C6E5BUL)]
    [InlineData("abc", 0x44BC2CF5AD770999UL)]
    [InlineData("pool-member-1#17", 0xF1B76F2C9F86701FUL)]
    [InlineData("The quick brown fox jumps over the lazy dog, 0123456789!", 0xE7F33CF046A90DE0UL)]
    [InlineData("data/00/0000000000000000000000000000000000000000000000000000000000000000", 0xF30DC8D5CD1EA1ABUL)]
    public void Matches_reference_vectors(string input, ulong expected) =>
        Assert.Equal(expected, XxHash64.HashUtf8(input));

    [Fact]
    public void Matches_reference_vector_for_long_input_and_seed()
    {
        var big = new byte[1000];
        for (var i = 0; i < big.Length; i++)
        {
            big[i] = (byte)((i * 31) + 7);
        }

        Assert.Equal(0x99594F4828043D35UL, XxHash64.Hash(big));
        Assert.Equal(0x13C1D910702770E6UL, XxHash64.HashUtf8("abc", seed: 42));
    }
}
