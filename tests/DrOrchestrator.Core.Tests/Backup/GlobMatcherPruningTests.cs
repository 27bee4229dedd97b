using DrOrchestrator.Core.Backup;

namespace DrOrchestrator.Core.Tests.Backup;

public sealed class GlobMatcherPruningTests
{
    [Theory]
    [InlineData("src/a/b/file.txt", "src", true)]
    [InlineData("src/a/b/file.txt", "src/a", true)]
    [InlineData("src/a/b/file.txt", "src/a/b", true)]
    [InlineData("src/a/b/file.txt", "src/x", false)]
    [InlineData("src/a/b/file.txt", "src/a/b/c", false)]
    [InlineData("src/a/b/file.txt", "other", false)]
    [InlineData("/src/a/*.txt", "src/a", true)]
    [InlineData("/src/a/*.txt", "src/b", false)]
    [InlineData("src/d?/*", "src/d1", true)]
    [InlineData("src/d?/*", "src/d10", false)]
    [InlineData("src/[ab]*/x", "src/bee", true)]
    [InlineData("src/[ab]*/x", "src/cee", false)]
    [InlineData("src/**/x.txt", "src/p/q/r", true)]
    [InlineData("src/**/x.txt", "other/p", false)]
    [InlineData("src/a**/x.txt", "src/abc/def", true)]
    [InlineData("*.txt", "any/depth/at/all", true)]
    [InlineData("src/a", "src/a/deeper/still", true)] // a matched directory holds everything below
    public void Could_match_below_is_false_only_where_nothing_can_match(string glob, string directory, bool expected)
    {
        Assert.Equal(expected, new GlobMatcher([glob]).CouldMatchBelow(directory));
    }

    [Fact]
    public void Any_glob_that_could_match_keeps_the_directory()
    {
        var matcher = new GlobMatcher(["src/a/file", "src/b/file"]);
        Assert.True(matcher.CouldMatchBelow("src/b"));
        Assert.False(matcher.CouldMatchBelow("src/c"));
        Assert.True(new GlobMatcher([]).CouldMatchBelow("whatever"));
    }

    [Fact]
    public void Pruning_never_drops_a_path_that_matches()
    {
        // Every path under a directory the matcher prunes must fail to match, for a mix of globs.
        string[] globs = ["s?/t1*/f0*", "s1/**/*.dat", "/s0/t0/f00001.txt", "s2/t[0-4]/*"];
        var matcher = new GlobMatcher(globs);
        var rng = new Random(3);
        for (var i = 0; i < 5_000; i++)
        {
            var path = $"s{rng.Next(4)}/t{rng.Next(30)}/f{rng.Next(100_000):D5}.{(rng.Next(2) == 0 ? "txt" : "dat")}";
            if (matcher.MatchesSelfOrAncestor(path))
            {
                var parts = path.Split('/');
                for (var depth = 1; depth < parts.Length; depth++)
                {
                    Assert.True(matcher.CouldMatchBelow(string.Join('/', parts[..depth])), $"{path} matches but its ancestor at depth {depth} was pruned");
                }
            }
        }
    }
}
