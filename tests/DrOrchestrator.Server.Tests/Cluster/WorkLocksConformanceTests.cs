using DrOrchestrator.Server.Work.Locks;
using Npgsql;

namespace DrOrchestrator.Server.Tests.Cluster;

/// <summary>What every <see cref="IWorkLocks"/> must do; run against each implementation.</summary>
public abstract class WorkLocksConformanceTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(3);

    protected abstract Task<IWorkLocks> CreateAsync();

    [Fact]
    public async Task An_exclusive_claim_is_refused_while_held_and_granted_once_released()
    {
        var locks = await CreateAsync();
        var first = await locks.TryAcquireAsync("backup:web", CancellationToken.None);
        Assert.NotNull(first);

        Assert.Null(await locks.TryAcquireAsync("backup:web", CancellationToken.None));
        var other = await locks.TryAcquireAsync("backup:db", CancellationToken.None);
        Assert.NotNull(other); // another resource is independent
        await other.DisposeAsync();

        await first.DisposeAsync();
        var again = await locks.TryAcquireAsync("backup:web", CancellationToken.None);
        Assert.NotNull(again);
        await again.DisposeAsync();
    }

    [Fact]
    public async Task A_counted_claim_grants_as_many_places_as_slots_and_the_next_waits_for_a_release()
    {
        var locks = await CreateAsync();
        var a = await locks.AcquireSlotAsync("target:nas", 2, CancellationToken.None);
        var b = await locks.AcquireSlotAsync("target:nas", 2, CancellationToken.None);

        var third = locks.AcquireSlotAsync("target:nas", 2, CancellationToken.None).AsTask();
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.False(third.IsCompleted, "a third place was granted on a target limited to two");

        await b.DisposeAsync();
        var c = await third.WaitAsync(Quick);
        await a.DisposeAsync();
        await c.DisposeAsync();
    }

    [Fact]
    public async Task A_waiting_counted_claim_ends_cancelled_when_its_token_is_cancelled()
    {
        var locks = await CreateAsync();
        var held = await locks.AcquireSlotAsync("target:slow", 1, CancellationToken.None);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(700));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await locks.AcquireSlotAsync("target:slow", 1, cancel.Token));

        await held.DisposeAsync();
        var next = await locks.AcquireSlotAsync("target:slow", 1, CancellationToken.None).AsTask().WaitAsync(Quick);
        await next.DisposeAsync();
    }
}

public sealed class InProcessWorkLocksTests : WorkLocksConformanceTests
{
    private readonly InProcessWorkLocks _locks = new();

    protected override Task<IWorkLocks> CreateAsync() => Task.FromResult<IWorkLocks>(_locks);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresAdvisoryWorkLocksTests(PostgresServerFixture server) : WorkLocksConformanceTests
{
    private string? _connectionString;

    protected override async Task<IWorkLocks> CreateAsync()
    {
        _connectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString(await server.CreateDatabaseAsync()))
        {
            Password = Environment.GetEnvironmentVariable(PostgresServerFixture.PasswordVariable),
        }.ToString();
        return new PostgresAdvisoryWorkLocks(_connectionString);
    }

    [Fact]
    public async Task Claims_of_a_holder_whose_session_died_are_free_at_once()
    {
        var locks = await CreateAsync();
        var node = new PostgresAdvisoryWorkLocks(_connectionString!); // the node that will die
        // Kept referenced until the sessions are terminated: an unreachable hold would let the GC
        // finalize its socket, which ends the session (and frees the lock) before the kill.
        var held = await node.TryAcquireAsync("backup:web", CancellationToken.None);
        var heldSlot = await node.AcquireSlotAsync("target:nas", 1, CancellationToken.None);
        Assert.NotNull(held);
        Assert.Null(await locks.TryAcquireAsync("backup:web", CancellationToken.None));

        // What a kill -9 of the node does to its sessions: PostgreSQL ends them; nothing is disposed.
        await using (var admin = new NpgsqlConnection(_connectionString))
        {
            await admin.OpenAsync();
            await using var terminate = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))", admin);
            Assert.Equal(2L, await terminate.ExecuteScalarAsync());
        }

        GC.KeepAlive(held);
        GC.KeepAlive(heldSlot);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        IAsyncDisposable? policy;
        while ((policy = await locks.TryAcquireAsync("backup:web", CancellationToken.None)) is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.NotNull(policy);
        var slot = await locks.AcquireSlotAsync("target:nas", 1, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        await policy.DisposeAsync();
        await slot.DisposeAsync();
    }
}
