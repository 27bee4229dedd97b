namespace DrOrchestrator.Server.Work.Locks;

/// <summary>
/// Claims that hold across every node sharing the work queue: "one backup of this policy at a
/// time" and "at most N jobs on this target". A claim ends when it is disposed or when its holder
/// dies (a killed node must never keep a policy or a target blocked).
/// </summary>
public interface IWorkLocks
{
    /// <summary>Claims <paramref name="resource"/> exclusively; null at once when another holder has it.</summary>
    ValueTask<IAsyncDisposable?> TryAcquireAsync(string resource, CancellationToken cancellationToken);

    /// <summary>Waits for one of <paramref name="slots"/> places on <paramref name="resource"/> (a counted claim).</summary>
    ValueTask<IAsyncDisposable> AcquireSlotAsync(string resource, int slots, CancellationToken cancellationToken);
}
