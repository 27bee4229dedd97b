namespace DrOrchestrator.Core.Repository;

/// <summary>
/// The engines do blocking file I/O (sequential reads, pwrite) on thread-pool threads by design —
/// it is faster than async file I/O on Linux. With the default minimum of one thread per core,
/// those blocked threads would starve the async stages (channels, uploads) until the pool's
/// starvation detector adds threads (one per ~500 ms). Raising the minimum once avoids that stall.
/// Process-wide but harmless: it only lets the pool grow without delay, up to the given count.
/// </summary>
internal static class ThreadPoolGuard
{
    public static void EnsureMinimumWorkers(int blockingThreads)
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        var wanted = Environment.ProcessorCount + blockingThreads + 2;
        if (workers < wanted)
        {
            ThreadPool.SetMinThreads(wanted, io);
        }
    }
}
