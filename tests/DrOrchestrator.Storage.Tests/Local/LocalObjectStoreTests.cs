using DrOrchestrator.Core.Storage;
using DrOrchestrator.Storage.Local;
using DrOrchestrator.Storage.Tests.Conformance;

namespace DrOrchestrator.Storage.Tests.Local;

/// <summary>Behaviour specific to the file system backend (the shared contract is in the conformance suite).</summary>
public sealed class LocalObjectStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new("local");
    private readonly LocalObjectStore _store;

    public LocalObjectStoreTests() => _store = LocalObjectStore.Create(new LocalTargetOptions { Path = _directory.Path });

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Keys_map_to_relative_files_under_the_root()
    {
        var hash = await _store.PutPatternAsync("data/ab/cdef", 4321, seed: 8);

        var file = Path.Combine(_directory.Path, "data", "ab", "cdef");
        await using var stream = File.OpenRead(file);
        Assert.Equal(hash, Content.Sha256(stream));
        Assert.Equal("local:" + _directory.Path, _store.Description);
        Assert.Equal(new ObjectStoreCapabilities(null, 2, true), _store.Capabilities);
    }

    [Fact]
    public async Task A_put_leaves_no_temp_file_and_listing_ignores_temp_and_foreign_files()
    {
        await _store.PutPatternAsync("p/a", 10, seed: 1);
        File.WriteAllText(Path.Combine(_directory.Path, "p", LocalObjectStore.TempFilePrefix + "leftover"), "x");
        File.WriteAllText(Path.Combine(_directory.Path, "p", "not a key"), "x");

        Assert.Equal(["p/a"], (await _store.ListAllAsync("")).Select(i => i.Key));
        Assert.Equal(3, Directory.GetFiles(Path.Combine(_directory.Path, "p")).Length);
    }

    [Fact]
    public async Task A_failed_put_removes_its_temp_file()
    {
        await Assert.ThrowsAsync<InvalidDataException>(() => _store.PutAsync("f/x", new FailingStream(), CancellationToken.None));

        Assert.Empty(Directory.GetFiles(Path.Combine(_directory.Path, "f")));
    }

    [Fact]
    public async Task Putting_a_key_where_a_directory_exists_is_a_permanent_error()
    {
        await _store.PutPatternAsync("a/b", 10, seed: 1);

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.PutPatternAsync("a", 10, seed: 1));

        Assert.False(ex.IsTransient);
        Assert.StartsWith(_store.Description + ": a: ", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => _store.GetAsync("a", null, CancellationToken.None));
    }

    [Fact]
    public async Task Putting_a_key_below_an_existing_object_is_a_permanent_error()
    {
        await _store.PutPatternAsync("a", 10, seed: 1);

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.PutPatternAsync("a/b", 10, seed: 1));

        Assert.False(ex.IsTransient, ex.ToString());
        Assert.StartsWith(_store.Description + ": a/b: ", ex.Message, StringComparison.Ordinal);
        Assert.Null(await _store.StatAsync("a/b", CancellationToken.None));
    }

    [Fact]
    public async Task A_reader_keeps_the_version_it_opened_while_the_key_is_replaced()
    {
        var first = await _store.PutPatternAsync("v", 100_000, seed: 1);
        await using var reader = await _store.GetAsync("v", null, CancellationToken.None);

        var second = await _store.PutPatternAsync("v", 100_000, seed: 2);

        Assert.Equal(first, await Content.Sha256Async(reader));
        Assert.Equal(second, await _store.GetSha256Async("v"));
    }

    [Fact]
    public async Task List_rejects_an_invalid_prefix()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => _store.ListAllAsync("../"));

        Assert.StartsWith("Invalid object key prefix '../': segment '..' is not allowed.", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "Path: must be set to the absolute path of the repository directory.")]
    [InlineData("relative/repo", "Path: must be an absolute directory path (got 'relative/repo').")]
    public void Options_validation_names_the_field(string path, string expected)
    {
        Assert.Equal([expected], new LocalTargetOptions { Path = path }.Validate());
        var ex = Assert.Throws<ArgumentException>(() => LocalObjectStore.Create(new LocalTargetOptions { Path = path }));
        Assert.StartsWith("Invalid local target: " + expected, ex.Message, StringComparison.Ordinal);
    }

    private sealed class FailingStream : MemoryStream
    {
        public FailingStream()
            : base(new byte[100_000])
        {
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position > 0 ? throw new InvalidDataException("source broke") : base.ReadAsync(buffer, cancellationToken);
    }
}
