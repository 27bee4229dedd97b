using DrOrchestrator.Core.Storage;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Storage.Tests.Conformance;

/// <summary>
/// Makes a backend unreachable and reachable again for the transient-failure tests. Server
/// backends stop and restart their emulator; the default injects a transient outage.
/// </summary>
public abstract class StoreOutage
{
    /// <summary>The store to use during the test (may wrap the store under test).</summary>
    public abstract IObjectStore Store { get; }

    public abstract Task BeginAsync();

    public abstract Task EndAsync();
}

/// <summary>Simulates an outage with <see cref="FaultInjectingObjectStore"/> (for backends without a server).</summary>
public sealed class InjectedOutage(IObjectStore store) : StoreOutage
{
    private readonly FaultInjectingObjectStore _faulty = new(store);

    public override IObjectStore Store => _faulty;

    public int InjectedFailureCount => _faulty.InjectedFailureCount;

    public override Task BeginAsync()
    {
        _faulty.Outage = true;
        return Task.CompletedTask;
    }

    public override Task EndAsync()
    {
        _faulty.Outage = false;
        return Task.CompletedTask;
    }
}

/// <summary>Stops and restarts a server process (same port, same data).</summary>
public sealed class ServerOutage(IObjectStore store, Func<Task> stop, Func<Task> start) : StoreOutage
{
    public override IObjectStore Store => store;

    public override Task BeginAsync() => stop();

    public override Task EndAsync() => start();
}
