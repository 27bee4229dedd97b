using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Sources;

namespace DrOrchestrator.Sources.Tests.Conformance;

/// <summary>The files source (the archiver behind <see cref="FileTreesSource"/>) passes the same suite as the databases.</summary>
public sealed class FileTreesSourceConformanceTests : BackupSourceConformanceTests, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"drorch-files-source-{Guid.NewGuid():N}");

    protected override string ExpectedType => "files";

    protected override bool HasManifest => false;

    protected override Task<IBackupSource> CreateSourceAsync()
    {
        var a = Path.Combine(_root, "alpha");
        var b = Path.Combine(_root, "beta");
        Directory.CreateDirectory(Path.Combine(a, "sub"));
        Directory.CreateDirectory(b);
        File.WriteAllBytes(Path.Combine(a, "sub", "one.bin"), [.. Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7))]);
        File.WriteAllText(Path.Combine(b, "two.txt"), "two");
        return Task.FromResult<IBackupSource>(new FileTreesSource(new Archiver(), [new FileTree([a], [], []), new FileTree([b], ["**/*.txt"], [])]));
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
