using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Core.Drill;

/// <summary>One file a drill found different from the snapshot: expected and actual SHA-256 (hex), null when absent.</summary>
public sealed record VerificationMismatch(string Path, string? Expected, string? Actual, string Reason)
{
    public override string ToString() => $"{Path}: {Reason}";
}

/// <summary>
/// What the independent re-read found. <see cref="FilesVerified"/>/<see cref="BytesVerified"/>
/// count the files whose size and SHA-256 matched; every other expected file, and with
/// <c>expectNothingElse</c> every file that should not be there, is a mismatch.
/// </summary>
public sealed record RestoreVerification(long FilesExpected, long BytesExpected, long FilesVerified, long BytesVerified, IReadOnlyList<VerificationMismatch> Mismatches)
{
    /// <summary>Every expected file is there with its size and hash, and nothing else (when that was asked).</summary>
    public bool Passed => Mismatches.Count == 0 && FilesVerified == FilesExpected && BytesVerified == BytesExpected;
}

/// <summary>
/// Re-reads restored files from the file system and compares each with the snapshot's record:
/// present, a regular file (not a link someone put there), the recorded size and SHA-256. This
/// is the drill's proof that the restore worked, independent of the restorer's own hashing
/// while it wrote (docs/decisions.md §37: why the drill pays for the second read).
/// </summary>
public sealed class RestoredFileVerifier
{
    private const int BufferSize = 1 << 20;
    private readonly ILogger _logger;

    public RestoredFileVerifier(ILogger<RestoredFileVerifier>? logger = null)
    {
        _logger = logger ?? NullLogger<RestoredFileVerifier>.Instance;
    }

    /// <summary>
    /// Verifies <paramref name="expected"/> (snapshot paths) under <paramref name="directory"/>.
    /// With <paramref name="expectNothingElse"/>, a regular file under the directory that the
    /// snapshot does not have is a mismatch too (a full drill; a sample restores only its files).
    /// </summary>
    public async Task<RestoreVerification> VerifyAsync(
        string directory, IReadOnlyList<SnapshotFile> expected, bool expectNothingElse, IProgress<long>? bytesRead, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(expected);
        var clock = Stopwatch.StartNew();
        var root = Path.GetFullPath(directory).TrimEnd('/');
        var mismatches = new ConcurrentBag<VerificationMismatch>();
        long filesVerified = 0, bytesVerified = 0, bytesExpected = 0;
        foreach (var file in expected)
        {
            bytesExpected += file.Size;
        }

        // Largest first: two big files do not end up last on one core while the other idles.
        var order = expected.OrderByDescending(f => f.Size).ToList();
        var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) };
        await Parallel.ForEachAsync(order, options, async (file, ct) =>
        {
            var mismatch = await VerifyFileAsync(root + "/" + file.Path, file, bytesRead, ct).ConfigureAwait(false);
            if (mismatch is null)
            {
                Interlocked.Increment(ref filesVerified);
                Interlocked.Add(ref bytesVerified, file.Size);
            }
            else
            {
                mismatches.Add(mismatch);
            }
        }).ConfigureAwait(false);

        if (expectNothingElse && Directory.Exists(root))
        {
            var known = new HashSet<string>(expected.Select(f => f.Path), StringComparer.Ordinal);
            foreach (var path in Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, ReturnSpecialDirectories = false }))
            {
                var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
                if (!known.Contains(relative) && new FileInfo(path).LinkTarget is null)
                {
                    mismatches.Add(new VerificationMismatch(relative, null, null, "restored but not in the snapshot"));
                }
            }
        }

        var sorted = mismatches.OrderBy(m => m.Path, StringComparer.Ordinal).ToList();
        Log.Verified(_logger, root, filesVerified, expected.Count, bytesVerified, sorted.Count, clock.Elapsed.TotalSeconds);
        return new RestoreVerification(expected.Count, bytesExpected, filesVerified, bytesVerified, sorted);
    }

    private static async Task<VerificationMismatch?> VerifyFileAsync(string path, SnapshotFile file, IProgress<long>? bytesRead, CancellationToken cancellationToken)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return new VerificationMismatch(file.Path, file.Sha256, null, "missing from the restore");
        }

        if (info.LinkTarget is not null)
        {
            return new VerificationMismatch(file.Path, file.Sha256, null, $"is a symbolic link to {info.LinkTarget}, not a file");
        }

        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long length = 0;
            var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 0, Options = FileOptions.SequentialScan | FileOptions.Asynchronous });
            await using (stream.ConfigureAwait(false))
            {
                int read;
                while ((read = await stream.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    length += read;
                    bytesRead?.Report(read);
                }
            }

            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (length != file.Size)
            {
                return new VerificationMismatch(file.Path, file.Sha256, actual, $"size {length} bytes, the snapshot records {file.Size}");
            }

            return string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase)
                ? null
                : new VerificationMismatch(file.Path, file.Sha256, actual, "SHA-256 differs from the snapshot's");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new VerificationMismatch(file.Path, file.Sha256, null, $"cannot be read back: {ex.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
