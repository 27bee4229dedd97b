namespace DrOrchestrator.Core.Repository;

/// <summary>
/// The sealed bytes of recently read runs of neighbouring trees (one ranged read covers many trees
/// of a tree pack). A tree found inside a cached or in-flight run is cut out of it and opened on
/// its own, so each tree a walk needs is decrypted and verified once, when it is needed, and the
/// neighbours nobody asks for cost only the read. Most recently used first; past
/// <c>maxBytes</c> the least recently used runs are dropped (a later ask reads them again).
/// Thread-safe.
/// </summary>
internal sealed class TreeRunCache(long maxBytes)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<TreeRun> _runs = [];
    private long _bytes;

    /// <summary>Bounds the search for a covering run (runs of one small tree each would otherwise pile up).</summary>
    private const int MaxRuns = 64;

    /// <summary>A byte range of one pack, being read or read.</summary>
    internal sealed class TreeRun(int pack, long start, long length)
    {
        public int Pack { get; } = pack;

        public long Start { get; } = start;

        public long Length { get; } = length;

        public TaskCompletionSource<byte[]> Bytes { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Covers(int pack, long offset, long length) => pack == Pack && offset >= Start && offset + length <= Start + Length;
    }

    /// <summary>
    /// The run covering the blob at <paramref name="location"/>, or a new one over the range
    /// <paramref name="rangeOf"/> gives; <c>isNew</c> tells the caller it must read it and complete
    /// <see cref="TreeRun.Bytes"/> (or <see cref="Fail"/> it).
    /// </summary>
    public TreeRun GetOrAdd(in BlobLocation location, Func<(long Start, long Length)> rangeOf, out bool isNew)
    {
        lock (_lock)
        {
            for (var node = _runs.First; node is not null; node = node.Next)
            {
                if (node.Value.Covers(location.Pack, location.Offset, location.Length))
                {
                    _runs.Remove(node);
                    _runs.AddFirst(node);
                    isNew = false;
                    return node.Value;
                }
            }

            var (start, length) = rangeOf();
            var run = new TreeRun(location.Pack, start, length);
            _runs.AddFirst(run);
            _bytes += length;
            while ((_bytes > maxBytes || _runs.Count > MaxRuns) && _runs.Count > 1)
            {
                _bytes -= _runs.Last!.Value.Length;
                _runs.RemoveLast();
            }

            isNew = true;
            return run;
        }
    }

    /// <summary>Forgets a run whose read failed (waiters see the failure; the next ask reads again).</summary>
    public void Fail(TreeRun run, Exception error)
    {
        lock (_lock)
        {
            if (_runs.Remove(run))
            {
                _bytes -= run.Length;
            }
        }

        run.Bytes.TrySetException(error);
    }

    /// <summary>
    /// Forgets a run whose bytes were read but did not decode: they may have been damaged on the
    /// way, and the next ask must read them again rather than fail on the same bytes.
    /// </summary>
    public void Forget(TreeRun run)
    {
        lock (_lock)
        {
            if (_runs.Remove(run))
            {
                _bytes -= run.Length;
            }
        }
    }

    /// <summary>Number of runs held (tests).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _runs.Count;
            }
        }
    }
}
