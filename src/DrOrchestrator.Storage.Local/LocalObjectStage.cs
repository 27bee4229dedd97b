using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Storage.Local;

/// <summary>
/// One staging file of a <see cref="LocalObjectStore"/>: <c>.tmp-&lt;owner&gt;-&lt;random&gt;</c> (see <see cref="StagingFileNames"/>) in a directory
/// of the store (so never listed), committed by fsync + rename + fsync of the target directory.
/// Both <see cref="LocalObjectStore.PutAsync"/> and the engine's packer write through it.
/// </summary>
internal sealed class LocalObjectStage : IObjectStage
{
    // Blobs are appended one by one, many small: a buffer saves system calls; large writes bypass it.
    private const int BufferSize = 64 * 1024;

    private readonly LocalObjectStore _store;
    private readonly string _path;
    private readonly FileStream _file;
    private bool _finished;

    /// <summary>Creates the staging file; I/O errors are the caller's to translate.</summary>
    public LocalObjectStage(LocalObjectStore store, string directory, long preallocationSize)
    {
        _store = store;
        Directory.CreateDirectory(directory);
        _path = Path.Combine(directory, StagingFileNames.New());
        _file = new FileStream(_path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            BufferSize = BufferSize,
            // Reserving the size up front fails fast with "disk full" instead of after most of the copy.
            PreallocationSize = preallocationSize,
        });
    }

    public Stream Content
    {
        get
        {
            ObjectDisposedException.ThrowIf(_finished, this);
            return _file;
        }
    }

    /// <summary>Completes synchronously: fsync and rename are blocking calls (.NET has no async fsync).</summary>
    public Task CommitAsync(string key, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _finished = true;
        var renamed = false;
        try
        {
            var path = _store.PathFor(key);
            cancellationToken.ThrowIfCancellationRequested();

            // fsync before the rename: otherwise a crash could leave the new name pointing at
            // unwritten blocks.
            _file.Flush(flushToDisk: true);
            _file.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            var directory = Path.GetDirectoryName(path)!;
            Directory.CreateDirectory(directory);
            File.Move(_path, path, overwrite: true);
            renamed = true;

            // And the directory after it: otherwise a power cut could lose the new name even
            // though the put returned (and a later index or snapshot already refers to it).
            DirectorySync.Flush(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw _store.Translate(ex, key, missingMeansNotFound: false);
        }
        finally
        {
            if (!renamed)
            {
                Discard();
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Discards the stage unless it was committed.</summary>
    public void Dispose()
    {
        if (!_finished)
        {
            _finished = true;
            Discard();
        }
    }

    private void Discard()
    {
        try
        {
            // Closing flushes the write buffer, which can fail (disk full): irrelevant to a discard.
            _file.Dispose();
        }
        catch (IOException)
        {
        }

        try
        {
            File.Delete(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover staging file is ignored by ListAsync and harmless.
        }
    }
}
