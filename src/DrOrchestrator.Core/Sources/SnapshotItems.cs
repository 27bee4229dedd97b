using System.Security.Cryptography;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Sources;

/// <summary>Reads what a database source stored: its manifest blob and its items (dumps) as streams.</summary>
public static class SnapshotItems
{
    /// <exception cref="RepositoryCorruptException">The manifest blob is missing or damaged.</exception>
    public static async Task<DatabaseManifest> LoadManifestAsync(BackupRepository repository, SnapshotSource source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(source);
        if (source.Manifest is null)
        {
            throw new RepositoryCorruptException($"{repository.Store.Description}: the {source.Type} source has no manifest");
        }

        var data = await repository.LoadBlobAsync(BlobId.Parse(source.Manifest), ct).ConfigureAwait(false);
        try
        {
            return DatabaseManifest.Parse(data);
        }
        catch (FormatException e)
        {
            throw new RepositoryCorruptException($"{repository.Store.Description}: manifest {source.Manifest}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Opens the file at <paramref name="itemPath"/> ('/'-separated) of the snapshot's tree as a
    /// forward-only stream: chunks are read one after the other (the next one prefetched), each
    /// verified by its id; at the end the whole content's SHA-256 is compared with the one recorded
    /// at backup and a mismatch fails the read, so a consumer never takes a damaged dump as complete.
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at that path.</exception>
    public static async Task<Stream> OpenAsync(BackupRepository repository, Snapshot snapshot, string itemPath, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentException.ThrowIfNullOrEmpty(itemPath);
        var nodes = await repository.LoadTreeAsync(BlobId.Parse(snapshot.TreeId), ct).ConfigureAwait(false);
        var segments = itemPath.Split('/');
        for (int i = 0; i < segments.Length; i++)
        {
            var node = nodes.FirstOrDefault(n => n.Name == segments[i]);
            if (node is null)
            {
                break;
            }

            if (i == segments.Length - 1 && node.Type == NodeType.File)
            {
                return new ItemStream(repository, node);
            }

            if (node.Type != NodeType.Directory)
            {
                break;
            }

            nodes = await repository.LoadTreeAsync(node.Subtree, ct).ConfigureAwait(false);
        }

        throw new FileNotFoundException($"snapshot {snapshot.ShortId} has no item {itemPath}");
    }

    private sealed class ItemStream(BackupRepository repository, TreeNode node) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private int _next;
        private Task<byte[]>? _prefetch;
        private byte[] _current = [];
        private int _offset;
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => node.Size;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_offset == _current.Length)
            {
                if (_next == node.Content.Length)
                {
                    Finish();
                    return 0;
                }

                _prefetch ??= repository.LoadBlobAsync(node.Content[_next], cancellationToken);
                _current = await _prefetch.ConfigureAwait(false);
                _offset = 0;
                _next++;
                _prefetch = _next < node.Content.Length ? repository.LoadBlobAsync(node.Content[_next], CancellationToken.None) : null;
                _hash.AppendData(_current);
            }

            var n = Math.Min(buffer.Length, _current.Length - _offset);
            _current.AsMemory(_offset, n).CopyTo(buffer);
            _offset += n;
            _position += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private bool _finished;

        private void Finish()
        {
            if (_finished)
            {
                return;
            }

            _finished = true;
            var hash = new BlobId(_hash.GetHashAndReset());
            if (hash != node.FileHash || _position != node.Size)
            {
                throw new RepositoryCorruptException(
                    $"{repository.Store.Description}: item {node.Name}: content does not match its recorded SHA-256 ({_position} bytes read, {node.Size} recorded)");
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
                _prefetch?.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            }

            base.Dispose(disposing);
        }
    }
}
