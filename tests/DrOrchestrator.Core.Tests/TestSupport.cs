using System.Security.Cryptography;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Restore;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Core.Tests;

/// <summary>A temp directory deleted at dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "drorch-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string relative) => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp dir must not fail a test.
        }
    }
}

internal static class TestSupport
{
    public const string Passphrase = "correct horse battery staple";

    /// <summary>Small chunks and packs so tests exercise many chunks and packs quickly; cheap KDF.</summary>
    public static readonly RepositoryInitOptions SmallOptions = new()
    {
        ChunkMinSize = 16 * 1024,
        ChunkAverageSize = 64 * 1024,
        ChunkMaxSize = 256 * 1024,
        PackSize = 256 * 1024,
        KdfIterations = 1000,
    };

    public static RepositoryKey Key => RepositoryKey.FromPassphrase(Passphrase);

    public static async Task<(InMemoryObjectStore Store, BackupRepository Repo)> NewRepoAsync(RepositoryInitOptions? options = null)
    {
        var store = new InMemoryObjectStore();
        var repo = await BackupRepository.InitAsync(store, Key, options ?? SmallOptions, CancellationToken.None);
        return (store, repo);
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static FileBackupRequest Request(string path, Snapshot? parent = null, IReadOnlyList<string>? include = null, IReadOnlyList<string>? exclude = null) =>
        new([path], include ?? [], exclude ?? [], "test-policy", parent, new Dictionary<string, string> { ["env"] = "test" });

    public static Task<BackupResult> BackupAsync(BackupRepository repo, string path, Snapshot? parent = null, CancellationToken ct = default) =>
        new Archiver().BackupAsync(repo, Request(path, parent), null, ct);

    public static Task<RestoreResult> RestoreAsync(BackupRepository repo, Snapshot snapshot, string destination, IReadOnlyList<string>? include = null) =>
        new Restorer().RestoreAsync(repo, new RestoreRequest(snapshot, destination, include ?? [], Overwrite: false), null, CancellationToken.None);

    public static string Sha256(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));

    /// <summary>
    /// Everything observable about a tree, keyed by relative path: type, permissions, mtime (ns),
    /// and SHA-256 of a file or target of a symlink.
    /// </summary>
    public static SortedDictionary<string, string> Describe(string root, bool includeSymlinkTimes = true)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var rel = System.IO.Path.GetRelativePath(root, path);
            var st = UnixFileSystem.LStat(path, out _)!.Value;
            result[rel] = st.FileType switch
            {
                UnixStat.Symlink => $"link -> {new FileInfo(path).LinkTarget}" + (includeSymlinkTimes ? $" mtime={st.MTimeNs}" : ""),
                UnixStat.Directory => $"dir mode={Convert.ToString(st.Permissions, 8)} mtime={st.MTimeNs}",
                _ => $"file mode={Convert.ToString(st.Permissions, 8)} mtime={st.MTimeNs} size={st.Size} sha={Sha256(path)}",
            };
        }

        return result;
    }
}
