using System.Security.Cryptography;
using DrOrchestrator.Core.Security;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// Assembles one pack in a temporary file (never in memory): sealed blobs back to back, then the
/// sealed header and its length. The SHA-256 of every byte written becomes the pack id.
/// The temp file is delete-on-close, so nothing is left behind however the run ends.
/// </summary>
internal sealed class PackWriter : IDisposable
{
    private readonly FileStream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<PackEntry> _entries = [];

    public PackWriter(string tempDirectory)
    {
        var path = Path.Combine(tempDirectory, $"drorch-pack-{Guid.NewGuid():N}.tmp");
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose);
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

    /// <summary>Writes the header, rewinds, and returns the pack's record; the stream is ready to upload.</summary>
    public PackRecord Finish(Aead aead)
    {
        var header = PackHeader.Seal(_entries, aead);
        _file.Write(header);
        _hash.AppendData(header);
        _file.Flush();
        _file.Position = 0;
        return new PackRecord(new BlobId(_hash.GetHashAndReset()), _file.Length, _entries);
    }

    public Stream Content => _file;

    public void Dispose()
    {
        _file.Dispose();
        _hash.Dispose();
    }
}
