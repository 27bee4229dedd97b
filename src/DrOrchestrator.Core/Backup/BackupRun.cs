using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Backup;

/// <summary>A file whose content the pipeline is reading; chunk ids arrive out of order from the workers.</summary>
internal sealed class PendingFile(string path, TreeNode node, UnixStat stat)
{
    private readonly Lock _lock = new();
    private readonly List<BlobId> _ids = [];

    public string Path { get; } = path;

    public TreeNode Node { get; } = node;

    public UnixStat Stat { get; } = stat;

    /// <summary>Set when the file could not be read; the tree builder leaves it out.</summary>
    public bool Failed { get; set; }

    public int AddSlot()
    {
        lock (_lock)
        {
            _ids.Add(default);
            return _ids.Count - 1;
        }
    }

    public void SetId(int index, BlobId id)
    {
        lock (_lock)
        {
            _ids[index] = id;
        }
    }

    public BlobId[] Ids()
    {
        lock (_lock)
        {
            return [.. _ids];
        }
    }
}

/// <summary>A scanned entry: a finished node (symlink, unchanged file), a pending file, or a directory with children.</summary>
internal sealed class ScanEntry(TreeNode node)
{
    public TreeNode Node { get; } = node;

    public PendingFile? File { get; init; }

    public List<ScanEntry>? Children { get; init; }

    /// <summary>Nothing left to read or encode below this entry: its node is final.</summary>
    public bool IsFinished => File is null && Children is null;
}

/// <summary>A chunk on its way from a reader to a worker: <c>Buffer[12..12+Length]</c>, pooled; whoever consumes it last returns it.</summary>
internal readonly record struct ChunkJob(PendingFile File, int Index, byte[] Buffer, int Length, BlobId? KnownId);

/// <summary>Shared state of one backup run: channels, pool, counters, issues.</summary>
internal sealed class BackupRun
{
    private readonly Stopwatch _sinceReport = Stopwatch.StartNew();
    private readonly IProgress<BackupProgress>? _progress;
    private long _filesDone;
    private long _bytesDone;

    public BackupRun(BackupRepository repo, IProgress<BackupProgress>? progress)
    {
        Repo = repo;
        _progress = progress;
        Pool = BufferPool.Engine;
        Workers = Math.Max(1, Environment.ProcessorCount);
        Readers = Math.Max(2, Environment.ProcessorCount);
        Files = Channel.CreateBounded<PendingFile>(new BoundedChannelOptions(256) { SingleWriter = true });
        Chunks = Channel.CreateBounded<ChunkJob>(new BoundedChannelOptions(Workers));
        Sealed = Channel.CreateBounded<SealedBlob>(new BoundedChannelOptions(1) { SingleReader = true });
    }

    public BackupRepository Repo { get; }

    public ArrayPool<byte> Pool { get; }

    public int Workers { get; }

    public int Readers { get; }

    public Channel<PendingFile> Files { get; }

    public Channel<ChunkJob> Chunks { get; }

    public Channel<SealedBlob> Sealed { get; }

    /// <summary>Blobs sent to the packer in this run (dedup within the run).</summary>
    public ConcurrentDictionary<BlobId, byte> Seen { get; } = new();

    public ConcurrentQueue<BackupIssue> Warnings { get; } = new();

    public ConcurrentQueue<BackupIssue> Errors { get; } = new();

    public long FilesNew;
    public long FilesChanged;
    public long FilesUnmodified;
    public long Directories;
    public long TotalFiles;
    public long TotalBytes;
    public long BytesRead;
    public long BytesNew;
    public long BytesStored;
    public long ChunksNew;

    /// <summary>Null until the scan has finished.</summary>
    public bool ScanComplete { get; set; }

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
