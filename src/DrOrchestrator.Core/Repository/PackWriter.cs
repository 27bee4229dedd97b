using System.Security.Cryptography;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// Assembles one pack in a file (never in memory): sealed blobs back to back, then the sealed
/// header and its length. The SHA-256 of every byte written becomes the pack id.
/// </summary>
/// <remarks>
/// Two homes for the file. On a store with <see cref="IStagedObjectStore"/> (a local directory)
/// the pack is written straight into a staging file of the store and <see cref="StoreAsync"/>
/// commits it (fsync, rename to the key known only after <see cref="Finish"/>): one write of the
/// data. Otherwise it is a delete-on-close temp file that <see cref="StoreAsync"/> puts. Either
/// way <see cref="Dispose"/> without a store deletes the file, so nothing is left behind however
/// the run ends (short of a kill, which may leave a never-listed staging file).
/// </remarks>
internal sealed class PackWriter : IDisposable
{
    private readonly FileStream? _temp;
    private readonly IObjectStage? _stage;
    private readonly Stream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<PackEntry> _entries = [];

    /// <summary>A pack in a delete-on-close temp file, for <see cref="IObjectStore.PutAsync"/>.</summary>
    public PackWriter(string tempDirectory)
    {
        var path = Path.Combine(tempDirectory, $"drorch-pack-{Guid.NewGuid():N}.tmp");
        // Readable by name while open: a hedged put or a mirror's fan-out reads the finished pack
        // through handles of its own instead of copying it (docs/decisions.md §64).
        _temp = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, 64 * 1024, FileOptions.DeleteOnClose);
        _file = _temp;
    }

    /// <summary>A pack written directly into a store's staging file; takes ownership of the stage.</summary>
    public PackWriter(IObjectStage stage)
    {
        _stage = stage;
        _file = stage.Content;
    }

    public long Size => _file.Length;

    public int Count => _entries.Count;

    public IReadOnlyList<PackEntry> Entries => _entries;

    public void Add(SealedBlob blob)
    {
        var offset = _file.Position;
        var data = blob.Buffer.AsSpan(0, blob.Length);
        _file.Write(data);
        _hash.AppendData(data);
        _entries.Add(new PackEntry(blob.Type, blob.Compressed, blob.Id, checked((uint)offset), (uint)blob.Length, blob.PlainLength));
    }

    /// <summary>Writes the header, rewinds, and returns the pack's record; the pack is ready for <see cref="StoreAsync"/>.</summary>
    public PackRecord Finish(Aead aead)
    {
        var header = PackHeader.Seal(_entries, aead);
        _file.Write(header);
        _hash.AppendData(header);
        _file.Flush();
        _file.Position = 0;
        return new PackRecord(new BlobId(_hash.GetHashAndReset()), _file.Length, _entries);
    }

    /// <summary>Makes the finished pack durable under <paramref name="key"/>: commits the stage, or puts the temp file.</summary>
    public Task StoreAsync(IObjectStore store, string key, CancellationToken ct) =>
        _stage is not null ? _stage.CommitAsync(key, ct) : store.PutAsync(key, _file, ct);

    public void Dispose()
    {
        _temp?.Dispose();
        _stage?.Dispose();
        _hash.Dispose();
    }
}
