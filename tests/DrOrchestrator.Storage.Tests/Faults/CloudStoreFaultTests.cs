using System.Diagnostics;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Http;
using DrOrchestrator.Storage.AzureBlob;
using DrOrchestrator.Storage.S3;
using DrOrchestrator.Storage.Tests.Conformance;
using DrOrchestrator.Storage.Tests.Emulators;

namespace DrOrchestrator.Storage.Tests.Faults;

[CollectionDefinition(Name)]
public sealed class FaultEmulators : ICollectionFixture<S3rverFixture>, ICollectionFixture<AzuriteFixture>
{
    public const string Name = "fault-emulators";
}

/// <summary>
/// The S3 and Azure stores against the real emulators behind <see cref="FaultInjectingTcpProxy"/>:
/// a stalled response is noticed in about <see cref="TransferTimeouts.Request"/> and retried, and
/// every failure names the store and the key.
/// </summary>
[Collection(FaultEmulators.Name)]
public sealed class CloudStoreFaultTests(S3rverFixture s3, AzuriteFixture azure) : IAsyncLifetime
{
    /// <summary>Far below the SDKs' own timeouts (minutes), far above any emulator answer on loopback.</summary>
    private static readonly TransferTimeouts QuickTimeouts = new() { Request = TimeSpan.FromSeconds(1.5), MinThroughputKiBPerSecond = 1024 };

    /// <summary>Generous: a test that detects the stall finishes in seconds, one that waits for the SDK takes minutes.</summary>
    private static readonly TimeSpan WellBelowSdkTimeouts = TimeSpan.FromSeconds(40);

    private readonly string _connectionVariable = "DRORCH_TEST_PROXY_AZURE_" + Guid.NewGuid().ToString("N")[..8];
    private FaultInjectingTcpProxy _s3Proxy = null!;
    private FaultInjectingTcpProxy _azureProxy = null!;

    public static TheoryData<string> Backends => ["s3", "azure"];

    public Task InitializeAsync()
    {
        _s3Proxy = new FaultInjectingTcpProxy(s3.Server.Port);
        _azureProxy = new FaultInjectingTcpProxy(azure.Server.Port);
        Environment.SetEnvironmentVariable(_connectionVariable, azure.ConnectionString.Replace(
            $"127.0.0.1:{azure.Server.Port}", $"127.0.0.1:{_azureProxy.Port}", StringComparison.Ordinal));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_connectionVariable, null);
        await _s3Proxy.DisposeAsync();
        await _azureProxy.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_stalled_download_is_abandoned_in_seconds_and_retried_on_a_fresh_connection(string backend)
    {
        var (store, proxy) = await CreateAsync(backend);
        var expected = await store.PutPatternAsync("data/ab/pack", 300_000, seed: 5);
        var stalled = 0;
        proxy.Faults = e => e.Method == "GET" && Interlocked.Increment(ref stalled) == 1 ? ProxyFault.Stall : ProxyFault.None;

        var clock = Stopwatch.StartNew();
        Assert.Equal(expected, await store.GetSha256Async("data/ab/pack"));

        Assert.True(clock.Elapsed < WellBelowSdkTimeouts, $"took {clock.Elapsed}");
        Assert.Equal(ProxyFault.Stall, Assert.Single(proxy.Injected).Fault);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_stalled_upload_answer_is_abandoned_in_seconds_and_the_upload_sent_again(string backend)
    {
        var (store, proxy) = await CreateAsync(backend);
        var stalled = 0;
        proxy.Faults = e => e.Method == "PUT" && Interlocked.Increment(ref stalled) == 1 ? ProxyFault.Stall : ProxyFault.None;

        var clock = Stopwatch.StartNew();
        var expected = await store.PutPatternAsync("index/x", 200_000, seed: 9);

        Assert.True(clock.Elapsed < WellBelowSdkTimeouts, $"took {clock.Elapsed}");
        Assert.Equal(ProxyFault.Stall, Assert.Single(proxy.Injected).Fault);
        proxy.Faults = null;
        Assert.Equal(expected, await store.GetSha256Async("index/x"));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_server_that_never_answers_fails_as_a_transient_error_naming_the_store_and_key(string backend)
    {
        var (store, proxy) = await CreateAsync(backend);
        await store.PutPatternAsync("config", 100, seed: 1);
        proxy.Faults = _ => ProxyFault.Stall;

        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => store.StatAsync("config", CancellationToken.None));

        Assert.True(clock.Elapsed < WellBelowSdkTimeouts, $"took {clock.Elapsed}");
        Assert.True(ex.IsTransient, ex.Message);
        Assert.StartsWith($"{store.Description}: config: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("stalled", ex.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_reset_connection_is_retried_and_the_object_still_read(string backend)
    {
        var (store, proxy) = await CreateAsync(backend);
        var expected = await store.PutPatternAsync("snapshots/s1", 50_000, seed: 2);
        var reset = 0;
        proxy.Faults = e => e.Method == "GET" && Interlocked.Increment(ref reset) == 1 ? ProxyFault.Reset : ProxyFault.None;

        Assert.Equal(expected, await store.GetSha256Async("snapshots/s1"));
        Assert.Equal(ProxyFault.Reset, Assert.Single(proxy.Injected).Fault);
    }

    [Fact]
    public void Timeouts_are_validated_naming_the_field_and_value()
    {
        var options = s3.OptionsFor("bucket");
        options.Timeouts = new TransferTimeouts { Request = TimeSpan.Zero, MinThroughputKiBPerSecond = 0 };

        Assert.Equal(
            ["Timeouts:Request: must be between 00:00:00.1 and 00:30:00 (got 00:00:00).",
             "Timeouts:MinThroughputKiBPerSecond: must be between 1 and 10485760 (got 0)."],
            options.Validate());
        var azureOptions = azure.OptionsFor("container");
        azureOptions.Timeouts.Request = TimeSpan.FromHours(1);
        Assert.Contains("Timeouts:Request: must be between 00:00:00.1 and 00:30:00 (got 01:00:00).", azureOptions.Validate());
    }

    private async Task<(IObjectStore Store, FaultInjectingTcpProxy Proxy)> CreateAsync(string backend)
    {
        var prefix = $"t-{Guid.NewGuid():N}";
        if (backend == "s3")
        {
            var options = s3.OptionsFor("faults", prefix);
            options.ServiceUrl = _s3Proxy.Url;
            options.Timeouts = QuickTimeouts;
            var store = S3ObjectStore.Create(options);
            await store.EnsureBucketAsync(CancellationToken.None);
            return (store, _s3Proxy);
        }

        var azureOptions = azure.OptionsFor("faults", prefix);
        azureOptions.ConnectionStringEnvironmentVariable = _connectionVariable;
        azureOptions.Timeouts = QuickTimeouts;
        var azureStore = AzureBlobObjectStore.Create(azureOptions);
        await azureStore.EnsureContainerAsync(CancellationToken.None);
        return (azureStore, _azureProxy);
    }
}
