using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Catalog;

/// <summary>
/// Keeps <c>HeartbeatAt</c> of this process's running runs fresh, whatever kind of run they are:
/// one timer per run, started when the run is recorded and stopped when it completes, so no use
/// case has to remember to beat. A missed beat is only logged; a run is never failed for it.
/// </summary>
internal sealed class RunHeartbeats(TimeProvider time, ILogger logger)
{
    private readonly ConcurrentDictionary<long, ITimer> _timers = new();

    public void Start(long runId, Func<long, CancellationToken, Task> beat)
    {
        var timer = time.CreateTimer(
            _ => _ = BeatAsync(runId, beat), null, CatalogStore.HeartbeatInterval, CatalogStore.HeartbeatInterval);
        if (!_timers.TryAdd(runId, timer))
        {
            timer.Dispose();
        }
    }

    public void Stop(long runId)
    {
        if (_timers.TryRemove(runId, out var timer))
        {
            timer.Dispose();
        }
    }

    private async Task BeatAsync(long runId, Func<long, CancellationToken, Task> beat)
    {
        try
        {
            await beat(runId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.HeartbeatFailed(logger, runId, ex.Message);
        }
    }
}
