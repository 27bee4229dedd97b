using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Backup;

/// <summary>
/// A file whose content the pipeline is reading; chunk ids arrive out of order from the workers.
/// It is complete once the reader is done with it and every chunk it queued has its id; the
/// last of those events (counted, so exactly one) hands it to the tree stage.
/// </summary>
internal sealed class PendingFile(string path, TreeNode node, UnixStat stat, PendingDirectory parent)
{
    private readonly Lock _lock = new();
    private readonly List<BlobId> _ids = [];

    /// <summary>Chunks queued but without an id yet, plus one while the reader is still at it.</summary>
    private int _unresolved = 1;

    public string Path { get; } = path;

    public TreeNode Node { get; } = node;

    public UnixStat Stat { get; } = stat;

    public PendingDirectory Parent { get; } = parent;

    /// <summary>Counted as new (no node of that name in the parent), else as changed.</summary>
    public bool IsNew { get; init; }

    /// <summary>Set when the file could not be read; the tree stage leaves it out.</summary>
    public bool Failed { get; set; }

    public int AddSlot()
    {
        Interlocked.Increment(ref _unresolved);
        lock (_lock)
        {
            _ids.Add(default);
            return _ids.Count - 1;
        }
    }

    /// <summary>Records a chunk's id; true when this completed the file.</summary>
    public bool SetId(int index, BlobId id)
    {
        lock (_lock)
        {
            _ids[index] = id;
        }

        return Interlocked.Decrement(ref _unresolved) == 0;
    }

    /// <summary>The reader is done (read, failed or empty); true when this completed the file.</summary>
    public bool ReadingDone() => Interlocked.Decrement(ref _unresolved) == 0;

    public BlobId[] Ids()
    {
        lock (_lock)
        {
            return [.. _ids];
        }
    }
}

/// <summary>
/// A directory with files still being read (or subdirectories still waiting for theirs). The
/// scanner counts its unfinished children and posts it once listed; the tree stage counts
/// completions down and encodes it when both are done, then drops its children — so only the
/// directories in flight are held, not the whole scanned tree.
/// </summary>
internal sealed class PendingDirectory(TreeNode? node, PendingDirectory? parent)
{
    private int _outstanding;

    /// <summary>Null for the invisible root above the backup's sources.</summary>
    public TreeNode? Node { get; } = node;

    public PendingDirectory? Parent { get; } = parent;

    /// <summary>Set by the scanner before it posts the directory; cleared once encoded.</summary>
    public List<ScanEntry>? Children { get; set; }

    /// <summary>Set by the tree stage when it receives the directory from the scanner.</summary>
    public bool Listed { get; set; }

    /// <summary>Scanner: one more child that is not final yet.</summary>
    public void AddOutstanding() => Interlocked.Increment(ref _outstanding);

    /// <summary>Tree stage: a child became final; true when none is left.</summary>
    public bool ChildDone() => Interlocked.Decrement(ref _outstanding) == 0;

    public bool NothingOutstanding => Volatile.Read(ref _outstanding) == 0;
}

/// <summary>A scanned entry: a finished node (symlink, unchanged file, encoded directory), a pending file, or a pending directory.</summary>
internal sealed class ScanEntry(TreeNode node)
{
    public TreeNode Node { get; } = node;

    public PendingFile? File { get; init; }

    public PendingDirectory? Directory { get; init; }

    /// <summary>Nothing left to read or encode below this entry: its node is final.</summary>
    public bool IsFinished => File is null && Directory is null;
}

/// <summary>What the tree stage is told: a file became complete, or a directory was listed.</summary>
internal readonly record struct TreeEvent(PendingFile? File, PendingDirectory? Directory);

/// <summary>A chunk on its way from a reader to a worker: <c>Buffer[12..12+Length]</c>, pooled; whoever consumes it last returns it.</summary>
internal readonly record struct ChunkJob(PendingFile File, int Index, byte[] Buffer, int Length, BlobId? KnownId);

/// <summary>Shared state of one backup run: channels, pool, counters, issues.</summary>
internal sealed class BackupRun
{
    private readonly Stopwatch _sinceReport = Stopwatch.StartNew();
    private readonly IProgress<BackupProgress>? _progress;
    private long _filesDone;
    private long _bytesDone;

    public BackupRun(RepositoryWriter writer, IProgress<BackupProgress>? progress)
    {
        Writer = writer;
        Repo = writer.Repository;
        _progress = progress;
        Pool = BufferPool.Engine;
        Workers = Math.Max(1, Environment.ProcessorCount);
        Readers = Math.Max(2, Environment.ProcessorCount);
        Files = Channel.CreateBounded<PendingFile>(new BoundedChannelOptions(256) { SingleWriter = true });
        Chunks = Channel.CreateBounded<ChunkJob>(new BoundedChannelOptions(Workers));
        // Unbounded so that a worker completing a file never waits for the tree stage; it holds
        // at most one event per file or directory in flight.
        TreeEvents = Channel.CreateUnbounded<TreeEvent>(new UnboundedChannelOptions { SingleReader = true });
    }

    /// <summary>Where blobs go: dedup, sealing hand-off, packs and indexes.</summary>
    public RepositoryWriter Writer { get; }

    public BackupRepository Repo { get; }

    public ArrayPool<byte> Pool { get; }

    public int Workers { get; }

    public int Readers { get; }

    public Channel<PendingFile> Files { get; }

    public Channel<ChunkJob> Chunks { get; }

    public Channel<TreeEvent> TreeEvents { get; }

    /// <summary>A file became complete: hand it to the tree stage.</summary>
    public void FileComplete(PendingFile file) => TreeEvents.Writer.TryWrite(new TreeEvent(file, null));

    public ConcurrentQueue<BackupIssue> Warnings { get; } = new();

    public ConcurrentQueue<BackupIssue> Errors { get; } = new();

    public long FilesNew;
    public long FilesChanged;
    public long FilesUnmodified;
    public long Directories;
    public long TotalFiles;
    public long TotalBytes;
    public long BytesRead;

    /// <summary>Null until the scan has finished.</summary>
    public bool ScanComplete { get; set; }

    /// <summary>A chunk of <paramref name="path"/> was read: progress by bytes, not only by whole files.</summary>
    public void ChunkRead(long bytes, string path)
    {
        Interlocked.Add(ref _bytesDone, bytes);
        if (_progress is not null && _sinceReport.ElapsedMilliseconds >= 250)
        {
            _sinceReport.Restart();
            Report(path);
        }
    }

    public void FileDone(long bytes, string path)
    {
        Interlocked.Increment(ref _filesDone);
        Interlocked.Add(ref _bytesDone, bytes);
        if (_progress is not null && _sinceReport.ElapsedMilliseconds >= 250)
        {
            _sinceReport.Restart();
            Report(path);
        }
    }

    public void Report(string? path) =>
        _progress?.Report(new BackupProgress(
            Interlocked.Read(ref _filesDone),
            Interlocked.Read(ref _bytesDone),
            ScanComplete ? Interlocked.Read(ref TotalFiles) : null,
            ScanComplete ? Interlocked.Read(ref TotalBytes) : null,
            path));
}
