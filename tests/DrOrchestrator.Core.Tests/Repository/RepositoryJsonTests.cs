using System.Text.Json;
using System.Text.Json.Serialization;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Security;

namespace DrOrchestrator.Core.Tests.Repository;

/// <summary>The generated serializer must write exactly what the reflection-based one wrote: repositories already exist.</summary>
public sealed class RepositoryJsonTests
{
    private static readonly JsonSerializerOptions ReflectionOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
    };

    private static Snapshot Sample() => new(
        new string('a', 64),
        new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero),
        new DateTimeOffset(2026, 11, 26, 9, 0, 1, TimeSpan.FromHours(1)),
        "host-1",
        ["/srv/data", "/etc/ünïcödé dir"],
        "nightly",
        new Dictionary<string, string> { ["env"] = "prod", ["quote\""] = "line\nbreak" },
        new string('b', 64),
        null,
        new SnapshotSummary(1, 2, 3, 4, 5, 6_000_000_000, 7, 8, 9, 10, TimeSpan.FromSeconds(12.5), 11, 12));

    [Fact]
    public void Snapshot_and_config_json_is_byte_identical_to_the_reflection_serializer()
    {
        var snapshot = Sample();
        var config = new RepositoryConfig(1, "repo-id", new ChunkerParameters(256 * 1024, 1 << 20, 4 << 20, 0xdeadbeefUL), 1, 16 << 20);

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(snapshot, ReflectionOptions), RepositoryJson.Serialize(snapshot));
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(config, ReflectionOptions), RepositoryJson.Serialize(config));
    }

    [Fact]
    public void Key_file_json_is_byte_identical_to_the_reflection_serializer_with_default_options()
    {
        var file = KeyFile.Create(RepositoryKey.FromPassphrase("pass"), MasterKey.Generate(), 1000);

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(file), file.Serialize());
    }

    [Fact]
    public void Snapshot_round_trips_and_json_null_is_a_format_error()
    {
        var snapshot = Sample();

        var back = RepositoryJson.Deserialize<Snapshot>(RepositoryJson.Serialize(snapshot), "snapshot");

        Assert.Equal(snapshot.Paths, back.Paths);
        Assert.Equal(snapshot.Tags, back.Tags);
        Assert.Equal((snapshot.Id, snapshot.Time, snapshot.RecoveryPoint, snapshot.Summary), (back.Id, back.Time, back.RecoveryPoint, back.Summary));
        var e = Assert.Throws<FormatException>(() => RepositoryJson.Deserialize<Snapshot>("null"u8, "snapshots/abc"));
        Assert.Equal("snapshots/abc is JSON null", e.Message);
    }

    [Fact]
    public void A_snapshot_written_before_sources_were_recorded_still_reads_with_no_sources()
    {
        var json = RepositoryJson.Serialize(Sample());
        var text = System.Text.Encoding.UTF8.GetString(json);
        Assert.EndsWith(",\"sources\":null}", text, StringComparison.Ordinal);
        var old = text.Replace(",\"sources\":null}", "}", StringComparison.Ordinal);

        var back = RepositoryJson.Deserialize<Snapshot>(System.Text.Encoding.UTF8.GetBytes(old), "snapshot");

        Assert.Null(back.Sources);
        Assert.Equal(Sample().Paths, back.Paths);
        Assert.Equal(Sample().TreeId, back.TreeId);
    }

    [Fact]
    public void Sources_round_trip()
    {
        var sources = new[]
        {
            new SnapshotSource("files", ["data"], new DateTimeOffset(2026, 12, 3, 1, 0, 0, TimeSpan.Zero), ["/srv/data"], ["**/*"], ["*.tmp"], null),
            new SnapshotSource("postgres", ["pg"], new DateTimeOffset(2026, 12, 3, 0, 59, 0, TimeSpan.Zero), [], [], [], new string('c', 64)),
        };
        var snapshot = Sample() with { Sources = sources };

        var back = RepositoryJson.Deserialize<Snapshot>(RepositoryJson.Serialize(snapshot), "snapshot");

        Assert.Equal(2, back.Sources!.Count);
        for (var i = 0; i < sources.Length; i++)
        {
            Assert.Equal((sources[i].Type, sources[i].RecoveryPoint, sources[i].Manifest), (back.Sources[i].Type, back.Sources[i].RecoveryPoint, back.Sources[i].Manifest));
            Assert.Equal(sources[i].Entries, back.Sources[i].Entries);
            Assert.Equal(sources[i].Paths, back.Sources[i].Paths);
            Assert.Equal(sources[i].Include, back.Sources[i].Include);
            Assert.Equal(sources[i].Exclude, back.Sources[i].Exclude);
        }
    }
}
