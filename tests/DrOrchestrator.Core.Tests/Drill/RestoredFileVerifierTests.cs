using System.Security.Cryptography;
using DrOrchestrator.Core.Drill;

namespace DrOrchestrator.Core.Tests.Drill;

/// <summary>The drill's independent re-read: what is on disk is compared with the snapshot's record, whatever the restorer said.</summary>
public sealed class RestoredFileVerifierTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("drorch-verify-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Matching_files_verify_and_every_kind_of_difference_is_a_mismatch_with_expected_and_actual()
    {
        var good = Write("tree/good.bin", 3_000_000, seed: 1);
        var flipped = Write("tree/flipped.bin", 2_000_000, seed: 2);
        var expectedFlipped = Hex(File.ReadAllBytes(flipped));
        var bytes = File.ReadAllBytes(flipped);
        bytes[1_234_567] ^= 0x01;
        File.WriteAllBytes(flipped, bytes);
        var shortened = Write("tree/short.bin", 1000, seed: 3);
        var expectedShort = Hex(File.ReadAllBytes(shortened));
        File.WriteAllBytes(shortened, File.ReadAllBytes(shortened)[..999]);
        Write("tree/extra.bin", 10, seed: 4);
        File.CreateSymbolicLink(Path.Combine(_root, "tree", "link.bin"), good);
        SnapshotFile[] expected =
        [
            new("tree/good.bin", 3_000_000, Hex(File.ReadAllBytes(good))),
            new("tree/flipped.bin", 2_000_000, expectedFlipped),
            new("tree/short.bin", 1000, expectedShort),
            new("tree/missing.bin", 5, new string('a', 64)),
            new("tree/link.bin", 3_000_000, Hex(File.ReadAllBytes(good))),
        ];

        var result = await new RestoredFileVerifier().VerifyAsync(_root, expected, expectNothingElse: true, null, CancellationToken.None);

        Assert.False(result.Passed);
        Assert.Equal((5L, 1L, 3_000_000L), (result.FilesExpected, result.FilesVerified, result.BytesVerified));
        Assert.Equal(
            [
                new VerificationMismatch("tree/extra.bin", null, null, "restored but not in the snapshot"),
                new VerificationMismatch("tree/flipped.bin", expectedFlipped, Hex(bytes), "SHA-256 differs from the snapshot's"),
                new VerificationMismatch("tree/link.bin", expected[4].Sha256, null, $"is a symbolic link to {good}, not a file"),
                new VerificationMismatch("tree/missing.bin", new string('a', 64), null, "missing from the restore"),
                new VerificationMismatch("tree/short.bin", expectedShort, Hex(File.ReadAllBytes(shortened)), "size 999 bytes, the snapshot records 1000"),
            ],
            result.Mismatches);
    }

    [Fact]
    public async Task Every_expected_file_present_and_intact_passes_with_count_and_bytes()
    {
        var a = Write("a.bin", 1_048_577, seed: 5);
        var b = Write("sub/b.bin", 0, seed: 6);
        SnapshotFile[] expected = [new("a.bin", 1_048_577, Hex(File.ReadAllBytes(a))), new("sub/b.bin", 0, Hex(File.ReadAllBytes(b)))];
        long reported = 0;

        var result = await new RestoredFileVerifier().VerifyAsync(_root, expected, expectNothingElse: true, new Counter(n => Interlocked.Add(ref reported, n)), CancellationToken.None);

        Assert.True(result.Passed);
        Assert.Equal((2L, 1_048_577L, 2L, 1_048_577L), (result.FilesExpected, result.BytesExpected, result.FilesVerified, result.BytesVerified));
        Assert.Equal(1_048_577L, reported);
    }

    private string Write(string relative, int length, int seed)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        File.WriteAllBytes(path, data);
        return path;
    }

    private static string Hex(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private sealed class Counter(Action<long> add) : IProgress<long>
    {
        public void Report(long value) => add(value);
    }
}
