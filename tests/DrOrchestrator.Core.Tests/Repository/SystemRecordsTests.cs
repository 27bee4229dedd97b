using System.Security.Cryptography;
using System.Text;
using DrOrchestrator.Core.Check;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Tests.Repository;

/// <summary>The orchestrator's own backup as the repository sees it: a snapshot of the reserved policy with one streamed item.</summary>
public sealed class SystemRecordsTests
{
    private static readonly DateTimeOffset RecordedAt = new(2026, 12, 3, 17, 0, 0, TimeSpan.Zero);

    private static byte[] Record(int lines, string tail)
    {
        var text = new StringBuilder();
        for (var i = 0; i < lines; i++)
        {
            text.Append("{\"t\":\"run\",\"v\":{\"id\":").Append(i).Append(",\"status\":\"succeeded\",\"host\":\"h").Append(i % 7).Append("\"}}\n");
        }

        return Encoding.UTF8.GetBytes(text.Append(tail).ToString());
    }

    [Fact]
    public async Task A_record_reads_back_byte_for_byte_and_a_second_one_mostly_deduplicates()
    {
        var (_, repo) = await TestSupport.NewRepoAsync();
        var first = Record(60_000, "{\"t\":\"end\"}\n");
        var second = Record(60_000, "{\"t\":\"run\",\"v\":{\"id\":60000}}\n{\"t\":\"end\"}\n");

        var one = await SystemRecords.WriteAsync(repo, RecordedAt, (s, ct) => s.WriteAsync(first, ct).AsTask(), CancellationToken.None);
        var two = await SystemRecords.WriteAsync(repo, RecordedAt.AddDays(1), (s, ct) => s.WriteAsync(second, ct).AsTask(), CancellationToken.None);

        Assert.Equal(SystemRecords.PolicyName, one.PolicyName);
        Assert.True(SystemRecords.IsRecord(two));
        Assert.Equal(RecordedAt, one.RecoveryPoint);
        Assert.Equal(first.Length, one.Summary.TotalBytes);
        Assert.True(two.Summary.BytesNew < second.Length / 2, $"{two.Summary.BytesNew} new of {second.Length}: the second record should reuse most chunks");
        foreach (var (snapshot, expected) in new[] { (one, first), (two, second) })
        {
            await using var content = await SystemRecords.OpenAsync(repo, snapshot, CancellationToken.None);
            using var copy = new MemoryStream();
            await content.CopyToAsync(copy);
            Assert.Equal(Convert.ToHexString(SHA256.HashData(expected)), Convert.ToHexString(SHA256.HashData(copy.ToArray())));
        }

        var findings = new List<CheckFinding>();
        await foreach (var finding in new Checker().CheckAsync(repo, new CheckOptions(true), CancellationToken.None))
        {
            findings.Add(finding);
        }

        Assert.DoesNotContain(findings, f => f.Severity == CheckSeverity.Error);
    }

    [Fact]
    public async Task A_producer_that_fails_half_way_leaves_no_record()
    {
        var (_, repo) = await TestSupport.NewRepoAsync();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SystemRecords.WriteAsync(repo, RecordedAt, async (s, ct) =>
        {
            await s.WriteAsync(Record(10_000, ""), ct);
            throw new InvalidOperationException("catalog went away");
        }, CancellationToken.None));

        Assert.Equal("catalog went away", error.Message);
        Assert.Empty(await repo.ListSnapshotsAsync(CancellationToken.None));
    }
}
