using System.Runtime.CompilerServices;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Storage.Local;

/// <summary>An <see cref="IObjectStore"/> on a local directory; see README.md for its guarantees.</summary>
public sealed class LocalObjectStore : IStagedObjectStore, IStagingInventory, IContainerStore
{
    /// <summary>File-name prefix of in-progress puts and staging files; such files are never listed.</summary>
    public const string TempFilePrefix = ".tmp-";

    private const int CopyBufferSize = 256 * 1024;

    private readonly string _root;

    private LocalObjectStore(string root, string? targetName)
    {
        _root = root;
        Location = "local:" + root;
        Description = targetName ?? Location;
    }

    public string Description { get; }

    public string Location { get; }

    /// <summary>Two in flight: a local disk gains little from more and seeks suffer.</summary>
    public ObjectStoreCapabilities Capabilities { get; } = new(MaxObjectSize: null, RecommendedConcurrency: 2, IsLocal: true);

    /// <summary>Creates the store for validated options; throws <see cref="ArgumentException"/> naming the bad field.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="targetName">The configured target's name, which messages then use; null: the folder's location.</param>
    public static LocalObjectStore Create(LocalTargetOptions options, string? targetName = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid local target: " + string.Join(" ", errors), nameof(options));
        }

        return new LocalObjectStore(Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Path)), targetName);
    }

    /// <summary>Creates the repository folder (and its parents) unless it exists.</summary>
    public Task<bool> CreateContainerAsync(CancellationToken cancellationToken)
    {
        var created = !Directory.Exists(_root);
        Directory.CreateDirectory(_root);
        return Task.FromResult(created);
    }

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var directory = Path.GetDirectoryName(PathFor(key))!;
        var preallocation = content.CanSeek ? Math.Max(0, content.Length - content.Position) : 0;
        using var stage = Stage(directory, key, preallocation);
        try
        {
            await content.CopyToAsync(stage.Content, CopyBufferSize, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Translate(ex, key, missingMeansNotFound: false);
        }

        await stage.CommitAsync(key, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Staging files older than this in the root are left by a process that was killed (SIGKILL,
    /// power cut) and are deleted when a backup next begins staging. A live one is never this old:
    /// it lives while the packer fills one pack, which even a source trickling in at a few KB/s
    /// does within hours; and deleting a live one would only fail that run's commit, not lose data.
    /// </summary>
    public static readonly TimeSpan AbandonedStageAge = TimeSpan.FromDays(1);

    private int _swept;

    /// <summary>
    /// A staging file in the root directory: same file system as every key, so committing is a
    /// rename, and the root exists for any repository (its config lives there). The first call
    /// on this store sweeps abandoned staging files from the root (see <see cref="AbandonedStageAge"/>).
    /// </summary>
    public IObjectStage BeginStage()
    {
        if (Interlocked.Exchange(ref _swept, 1) == 0)
        {
            SweepAbandonedStages(DateTime.UtcNow - AbandonedStageAge);
        }

        return Stage(_root, key: null, preallocationSize: 0);
    }

    /// <summary>
    /// Deletes the root's staging files that no live process can own: those last written before
    /// <paramref name="cutoffUtc"/>, and at once those whose name says this host's process wrote
    /// them and no process with that id runs any more. Another host's (a repository on a shared
    /// file system) or a pid now reused by some other process are left to the age rule, so a live
    /// write of a second process sharing the target is never touched. Best effort.
    /// </summary>
    private void SweepAbandonedStages(DateTime cutoffUtc)
    {
        try
        {
            foreach (var file in new DirectoryInfo(_root).EnumerateFiles(TempFilePrefix + "*"))
            {
                if (file.LastWriteTimeUtc < cutoffUtc || StagingFileNames.OwnerIsGone(file.Name))
                {
                    file.Delete();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A sweep that cannot finish costs disk space only; the backup goes on.
        }
    }

    /// <summary>Every <c>.tmp-*</c> file under the root, in any directory (a killed put leaves one beside its key).</summary>
    public IReadOnlyList<StagingFile> ListStagingFiles()
    {
        if (!Directory.Exists(_root))
        {
            return [];
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.None };
        return [.. new DirectoryInfo(_root).EnumerateFiles(TempFilePrefix + "*", options)
            .Select(f => new StagingFile(Path.GetRelativePath(_root, f.FullName).Replace(Path.DirectorySeparatorChar, '/'), f.Length, f.LastWriteTimeUtc))
            .OrderBy(f => f.Name, StringComparer.Ordinal)];
    }

    public Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathFor(key);
        ObjectRanges.Validate(key, range);

        FileStream file;
        try
        {
            // FileShare.Delete: a concurrent put may rename over the file while we read it.
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 81920,
                FileOptions.SequentialScan);
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(path))
        {
            throw new ObjectNotFoundException(Description, key);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Translate(ex, key, missingMeansNotFound: true);
        }

        if (range is not { } wanted)
        {
            return Task.FromResult<Stream>(file);
        }

        var length = file.Length;
        var start = Math.Min(wanted.Offset, length);
        file.Position = start;
        return Task.FromResult<Stream>(new BoundedReadStream(file, Math.Min(wanted.Length, length - start)));
    }

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var info = new FileInfo(PathFor(key));
        try
        {
            return Task.FromResult(info.Exists ? new ObjectInfo(key, info.Length, info.LastWriteTimeUtc) : null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Translate(ex, key, missingMeansNotFound: false);
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathFor(key);
        try
        {
            if (!Directory.Exists(path))
            {
                File.Delete(path);
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Parent directory missing: the object does not exist, which is what delete wants.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Translate(ex, key, missingMeansNotFound: false);
        }

        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectKey.ValidatePrefix(prefix);
        var slash = prefix.LastIndexOf('/');
        var start = slash < 0 ? _root : Path.Combine(_root, prefix[..slash].Replace('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(start))
        {
            yield break;
        }

        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = false,
            AttributesToSkip = FileAttributes.None,
        };
        using var files = new DirectoryInfo(start).EnumerateFiles("*", options).GetEnumerator();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!MoveNext(files, prefix))
            {
                yield break;
            }

            var file = files.Current;
            var key = Path.GetRelativePath(_root, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
            if (file.Name.StartsWith(TempFilePrefix, StringComparison.Ordinal)
                || !key.StartsWith(prefix, StringComparison.Ordinal)
                || !ObjectKey.IsValid(key))
            {
                continue;
            }

            yield return new ObjectInfo(key, file.Length, file.LastWriteTimeUtc);
        }
    }

    private LocalObjectStage Stage(string directory, string? key, long preallocationSize)
    {
        try
        {
            return new LocalObjectStage(this, directory, preallocationSize);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Translate(ex, key, missingMeansNotFound: false);
        }
    }

    private bool MoveNext(IEnumerator<FileInfo> files, string prefix)
    {
        try
        {
            return files.MoveNext();
        }
        catch (DirectoryNotFoundException)
        {
            // The directory vanished during enumeration: nothing more to list under it.
            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ObjectStoreException(Description, null, $"listing '{prefix}' failed: {ex.Message}", isTransient: true, ex);
        }
    }

    internal string PathFor(string key)
    {
        ObjectKey.Validate(key);
        return Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
    }

    internal ObjectStoreException Translate(Exception ex, string? key, bool missingMeansNotFound)
    {
        if (missingMeansNotFound && key is not null && ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return new ObjectNotFoundException(Description, key, ex);
        }

        var permanent = ex is UnauthorizedAccessException or PathTooLongException
            || (ex is IOException io && IsPermanentIoError(io));
        return new ObjectStoreException(Description, key, ex.Message, isTransient: !permanent, ex);
    }

    /// <summary>
    /// Errors a retry cannot fix: disk full, quota exceeded, read-only file system, and a key that
    /// collides with an object/directory of the same name ("a" vs "a/b").
    /// </summary>
    private static bool IsPermanentIoError(IOException io)
    {
        if (OperatingSystem.IsWindows())
        {
            // ERROR_WRITE_PROTECT, ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL, ERROR_ALREADY_EXISTS, ERROR_DIRECTORY
            return (io.HResult & 0xFFFF) is 19 or 39 or 112 or 183 or 267;
        }

        // On Unix .NET puts errno in HResult: EEXIST, ENOTDIR, EISDIR, ENOSPC, EROFS, EDQUOT (Linux).
        return io.HResult is 17 or 20 or 21 or 28 or 30 or 122;
    }
}
