using System.Security.Cryptography;
using System.Text;

namespace DrOrchestrator.Orchestration.Quickstart;

/// <summary>
/// Writes the quickstart's sample directory: a small but realistic tree (compressible logs and
/// documents, incompressible media, nested folders, an empty file, a symlink and awkward names),
/// so the first run shows dedup, compression and every kind of item round-tripping.
/// Deterministic: the same seed gives the same bytes, so figures are comparable between runs.
/// </summary>
public static class SampleDataGenerator
{
    public static long Generate(string root, int megabytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(root);
        long written = 0;
        var random = new Random(20261126);
        var budget = (long)megabytes * 1024 * 1024;

        written += WriteText(Path.Combine(root, "README.txt"), "Sample data for the DrOrchestrator quickstart.\n");
        File.WriteAllBytes(Path.Combine(root, "empty.dat"), []);
        Directory.CreateDirectory(Path.Combine(root, "docs", "reports 2026"));
        written += WriteText(Path.Combine(root, "docs", "reports 2026", "résumé – final.txt"), "Unicode names survive.\n");
        written += WriteText(Path.Combine(root, "docs", "-leading-dash.txt"), "Names that look like options survive too.\n");
        CreateSymlink(Path.Combine(root, "docs", "latest"), "reports 2026");

        var fileIndex = 0;
        while (written < budget)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var size = (int)Math.Min(budget - written, random.Next(64 * 1024, 6 * 1024 * 1024));
            var folder = Path.Combine(root, fileIndex % 3 == 0 ? "media" : "logs", $"batch-{fileIndex / 10:D2}");
            Directory.CreateDirectory(folder);
            var compressible = fileIndex % 3 != 0;
            var path = Path.Combine(folder, compressible ? $"app-{fileIndex:D3}.log" : $"clip-{fileIndex:D3}.bin");
            written += compressible ? WriteLog(path, size, random) : WriteRandom(path, size, random);
            fileIndex++;
        }

        return written;
    }

    /// <summary>Changes one file in place and adds one, as a user's day of work would.</summary>
    public static void SimulateChanges(string root, int generation)
    {
        // A small sample can be a single media file and no log at all (3 MiB is one clip), so
        // the README, which every sample has, is the file changed when no log exists.
        var changed = Directory.EnumerateFiles(root, "*.log", SearchOption.AllDirectories).Order(StringComparer.Ordinal).FirstOrDefault()
            ?? Path.Combine(root, "README.txt");
        File.AppendAllText(changed, $"{DateTime.UtcNow:O} INFO quickstart change #{generation}\n");
        WriteText(Path.Combine(root, "docs", $"notes-{generation}.txt"), $"Written by quickstart run {generation}.\n");
    }

    private static long WriteText(string path, string text)
    {
        File.WriteAllText(path, text, Encoding.UTF8);
        return Encoding.UTF8.GetByteCount(text);
    }

    private static long WriteLog(string path, int size, Random random)
    {
        using var writer = new StreamWriter(path, append: false, Encoding.ASCII, bufferSize: 1 << 16);
        long count = 0;
        var levels = new[] { "INFO", "WARN", "DEBUG", "ERROR" };
        var time = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        while (count < size)
        {
            time = time.AddMilliseconds(random.Next(1, 5000));
            var line = $"{time:O} {levels[random.Next(levels.Length)]} worker-{random.Next(16)} request {random.Next(1_000_000)} took {random.Next(2000)} ms\n";
            writer.Write(line);
            count += line.Length;
        }

        return count;
    }

    private static long WriteRandom(string path, int size, Random random)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        var seed = new byte[32];
        random.NextBytes(seed);
        var buffer = new byte[1 << 20];
        var remaining = size;
        var counter = 0;
        while (remaining > 0)
        {
            // SHA-256 in counter mode: fast, deterministic and incompressible like media files.
            for (var offset = 0; offset < buffer.Length; offset += 32)
            {
                BitConverter.TryWriteBytes(seed.AsSpan(0, 4), counter++);
                SHA256.HashData(seed, buffer.AsSpan(offset, 32));
            }

            var n = Math.Min(remaining, buffer.Length);
            stream.Write(buffer, 0, n);
            remaining -= n;
        }

        return size;
    }

    private static void CreateSymlink(string path, string target)
    {
        if (!OperatingSystem.IsWindows() && !File.Exists(path) && !Directory.Exists(path))
        {
            File.CreateSymbolicLink(path, target);
        }
    }
}
