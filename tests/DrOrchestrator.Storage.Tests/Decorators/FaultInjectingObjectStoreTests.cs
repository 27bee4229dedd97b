using DrOrchestrator.Core.Storage;
using DrOrchestrator.Storage.Local;
using DrOrchestrator.Storage.Tests.Conformance;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Storage.Tests.Decorators;

public sealed class FaultInjectingObjectStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new("faults");
    private readonly FaultInjectingObjectStore _faulty;

    public FaultInjectingObjectStoreTests() =>
        _faulty = new FaultInjectingObjectStore(LocalObjectStore.Create(new LocalTargetOptions { Path = _directory.Path }));

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task The_Nth_call_fails_and_the_others_pass()
    {
        _faulty.FailCall(2, transient: false);

        await _faulty.PutPatternAsync("a", 10, seed: 1);
        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => _faulty.StatAsync("a", CancellationToken.None));
        Assert.NotNull(await _faulty.StatAsync("a", CancellationToken.None));

        Assert.False(ex.IsTransient);
        Assert.Equal($"{_faulty.Description}: a: injected failure of call 2", ex.Message);
        Assert.Equal(3, _faulty.CallCount);
        Assert.Equal(1, _faulty.InjectedFailureCount);
    }

    [Fact]
    public async Task A_failing_key_fails_every_call_for_it_until_reset()
    {
        _faulty.FailKey("bad");

        await Assert.ThrowsAsync<ObjectStoreException>(() => _faulty.PutPatternAsync("bad", 10, seed: 1));
        await _faulty.PutPatternAsync("good", 10, seed: 1);
        await Assert.ThrowsAsync<ObjectStoreException>(() => _faulty.GetAsync("bad", null, CancellationToken.None));
        _faulty.Reset();
        await _faulty.PutPatternAsync("bad", 10, seed: 1);
    }

    [Fact]
    public async Task Corrupted_reads_change_exactly_one_byte()
    {
        await _faulty.PutPatternAsync("c", 1000, seed: 5);
        var clean = await _faulty.GetBytesAsync("c");
        _faulty.CorruptReadsOf("c");

        var corrupt = await _faulty.GetBytesAsync("c");

        Assert.Equal(clean.Length, corrupt.Length);
        Assert.Equal(1, clean.Zip(corrupt).Count(p => p.First != p.Second));
        Assert.Equal(clean[0] ^ 1, corrupt[0]);
    }

    [Fact]
    public async Task An_outage_fails_every_call_as_transient_until_switched_off()
    {
        await _faulty.PutPatternAsync("o", 10, seed: 1);
        _faulty.Outage = true;

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => _faulty.ListAllAsync(""));
        await Assert.ThrowsAsync<ObjectStoreException>(() => _faulty.StatAsync("o", CancellationToken.None));
        _faulty.Outage = false;

        Assert.True(ex.IsTransient);
        Assert.Equal($"{_faulty.Description}: injected outage", ex.Message);
        Assert.Equal(["o"], (await _faulty.ListAllAsync("")).Select(i => i.Key));
    }
}
