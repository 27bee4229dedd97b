using System.Diagnostics;
using System.Text.Json;
using DrOrchestrator.Storage.Tests.Emulators;
using Xunit.Abstractions;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// Issue 19 end to end: backups and restores through a misbehaving network (a loopback
/// <see cref="FaultInjectingTcpProxy"/> in front of the real s3rver or Azurite) — flipped bytes in
/// responses and stalled responses. Times with and without faults are written to the test output.
/// </summary>
[Collection(CloudEmulators.Name)]
public sealed class CloudFaultCommandTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> QuickRetry = new()
    {
        ["MaxAttempts"] = "5", ["InitialDelay"] = "00:00:00.100", ["MaxDelay"] = "00:00:00.500", ["MaxElapsed"] = "00:01:00",
    };

    /// <summary>Noticing a stall in 2 s instead of the SDKs' minutes; far above an emulator's answer on loopback.</summary>
    private static readonly Dictionary<string, string> QuickTimeouts = new() { ["Request"] = "00:00:02", ["MinThroughputKiBPerSecond"] = "1024" };

    private readonly S3rverFixture _s3;
    private readonly AzuriteFixture _azure;
    private readonly ITestOutputHelper _output;
    private readonly string _run = Guid.NewGuid().ToString("N")[..12];
    private readonly string _proxiedAzureVariable = "DRORCH_TEST_PROXIED_AZURE_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
    private readonly List<CliSandbox> _sandboxes = [];
    private FaultInjectingTcpProxy _s3Proxy = null!;
    private FaultInjectingTcpProxy _azureProxy = null!;
    private string _source = null!;

    public CloudFaultCommandTests(S3rverFixture s3, AzuriteFixture azure, ITestOutputHelper output)
    {
        _s3 = s3;
        _azure = azure;
        _output = output;
    }

    public static TheoryData<string> Backends => ["s3", "azure"];

    public async Task InitializeAsync()
    {
        _s3Proxy = new FaultInjectingTcpProxy(_s3.Server.Port);
        _azureProxy = new FaultInjectingTcpProxy(_azure.Server.Port);
        Environment.SetEnvironmentVariable(_proxiedAzureVariable, _azure.ConnectionString.Replace(
            $"127.0.0.1:{_azure.Server.Port}", $"127.0.0.1:{_azureProxy.Port}", StringComparison.Ordinal));
        foreach (var name in new[] { "direct", "proxied", "clean" })
        {
            (await _s3.CreateStoreAsync(Bucket(name))).Dispose();
            await _azure.CreateStoreAsync(Container(name));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var sandbox in _sandboxes)
        {
            sandbox.Dispose();
        }

        Environment.SetEnvironmentVariable(_proxiedAzureVariable, null);
        await _s3Proxy.DisposeAsync();
        await _azureProxy.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_restore_through_a_flipping_primary_with_a_healthy_replica_exits_0_with_every_file_verified_and_the_bad_copies_reported(string flaky)
    {
        var healthy = flaky == "s3" ? "azure" : "s3";
        var sandbox = Sandbox(new()
        {
            ["flaky"] = Target(flaky, "proxied"),
            ["healthy"] = Target(healthy, "direct"),
        });
        await ApplyAsync(sandbox, "flip", """
            targets:
              - { name: flaky, role: primary }
              - { name: healthy, role: replica }
            """);
        var backup = await sandbox.RunAsync("backup", "flip");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Contains(" saved on flaky, healthy (policy flip)", backup.Stdout, StringComparison.Ordinal);

        var clock = Stopwatch.StartNew();
        var clean = await sandbox.RunAsync("restore", "flip", "--to", Path.Combine(sandbox.Root, "clean"), "--json");
        var cleanTime = clock.Elapsed;
        Assert.True(clean.ExitCode == 0, clean.ToString());
        using (var json = JsonDocument.Parse(clean.Stdout))
        {
            Assert.Empty(json.RootElement.GetProperty("badCopies").EnumerateArray());
        }

        // Every object body the primary serves arrives with one bit flipped (listings stay intact:
        // a flipped listing is the listing tests' subject).
        Proxy(flaky).Faults = e => e.Method == "GET" && !IsListing(e.Target) ? ProxyFault.FlipBodyByte : ProxyFault.None;
        clock.Restart();
        var destination = Path.Combine(sandbox.Root, "restored");
        var restore = await sandbox.RunAsync("restore", "flip", "--to", destination, "--json");
        var faultyTime = clock.Elapsed;
        Proxy(flaky).Faults = null;

        Assert.True(restore.ExitCode == 0, restore.ToString());
        BackupRestoreCommandTests.AssertSameTree(_source, Path.Combine(destination, "source"));
        using var restored = JsonDocument.Parse(restore.Stdout);
        Assert.Equal(restored.RootElement.GetProperty("files").GetInt64(), restored.RootElement.GetProperty("filesVerified").GetInt64());
        var bad = restored.RootElement.GetProperty("badCopies").EnumerateArray().Select(e => e.GetString()!).ToList();
        var flakyName = flaky == "s3" ? Bucket("proxied") : Container("proxied");
        Assert.True(bad.Count > 0 && bad.All(b => b.Contains(flakyName, StringComparison.Ordinal)), string.Join("\n", bad));
        // Which objects meet the primary first depends on timing (a copy that failed drops behind
        // the replica), but the repository's metadata is always read first, so some of it fell back.
        Assert.Contains(bad, b => new[] { ": config: ", ": keys/", ": index/" }.Any(m => b.Contains(m, StringComparison.Ordinal)));
        Assert.Contains("bad copy skipped", restore.Stderr, StringComparison.Ordinal);
        Assert.NotEmpty(Proxy(flaky).Injected);
        _output.WriteLine($"restore via flipping {flaky} primary + healthy {healthy} replica: {cleanTime.TotalSeconds:0.0} s without faults, {faultyTime.TotalSeconds:0.0} s with every GET body flipped ({Proxy(flaky).Injected.Count} responses flipped, {bad.Count} bad copies reported)");
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_backup_through_a_proxy_that_stalls_one_response_in_ten_finishes_in_seconds_not_minutes(string backend)
    {
        var sandbox = Sandbox(new()
        {
            ["clean"] = Target(backend, "clean"),
            ["stalling"] = Target(backend, "proxied"),
        });
        await ApplyAsync(sandbox, "plain", "targets: [{ name: clean, role: primary }]");
        await ApplyAsync(sandbox, "stalled", "targets: [{ name: stalling, role: primary }]");

        var clock = Stopwatch.StartNew();
        var clean = await sandbox.RunAsync("backup", "plain");
        var cleanTime = clock.Elapsed;
        Assert.True(clean.ExitCode == 0, clean.ToString());

        Proxy(backend).Faults = e => e.Number % 10 == 3 ? ProxyFault.Stall : ProxyFault.None;
        clock.Restart();
        var stalled = await sandbox.RunAsync("backup", "stalled");
        var stalledTime = clock.Elapsed;
        var stalls = Proxy(backend).Injected.Count;
        Proxy(backend).Faults = null;

        Assert.True(stalled.ExitCode == 0, stalled.ToString());
        Assert.True(stalls > 0, "the proxy stalled no response");
        // Generous on purpose (a shared, loaded machine): each stall costs about Timeouts:Request
        // (2 s) plus a back-off; waiting for the SDK's own timeout would cost 100–120 s per stall.
        Assert.True(stalledTime < (3 * cleanTime) + TimeSpan.FromSeconds(30), $"{stalledTime} with {stalls} stalls vs {cleanTime} without");
        var restore = await sandbox.RunAsync("restore", "stalled", "--to", Path.Combine(sandbox.Root, "restored"));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        BackupRestoreCommandTests.AssertSameTree(_source, Path.Combine(sandbox.Root, "restored", "source"));
        _output.WriteLine($"backup to {backend}: {cleanTime.TotalSeconds:0.0} s without faults, {stalledTime.TotalSeconds:0.0} s with one response in ten stalled ({stalls} stalls)");
    }

    private static bool IsListing(string target) =>
        target.Contains("list-type=", StringComparison.Ordinal) || target.Contains("comp=list", StringComparison.Ordinal);

    private FaultInjectingTcpProxy Proxy(string backend) => backend == "s3" ? _s3Proxy : _azureProxy;

    private string Bucket(string name) => $"{name}-{_run}";

    private string Container(string name) => $"{name}-{_run}";

    private Dictionary<string, object> Target(string backend, string name)
    {
        var proxied = name == "proxied";
        return backend == "s3"
            ? new Dictionary<string, object>
            {
                ["Type"] = "s3", ["ServiceUrl"] = proxied ? _s3Proxy.Url : _s3.ServiceUrl, ["ForcePathStyle"] = "true", ["Bucket"] = Bucket(name), ["Prefix"] = "repo",
                ["AccessKeyIdEnvironmentVariable"] = S3rverFixture.AccessKeyVariable, ["SecretAccessKeyEnvironmentVariable"] = S3rverFixture.SecretKeyVariable,
                ["DisableChunkEncoding"] = "true", ["ChecksumsWhenRequiredOnly"] = "true", ["Retry"] = QuickRetry, ["Timeouts"] = QuickTimeouts,
            }
            : new Dictionary<string, object>
            {
                ["Type"] = "azure", ["Container"] = Container(name), ["Prefix"] = "repo",
                ["ConnectionStringEnvironmentVariable"] = proxied ? _proxiedAzureVariable : AzuriteFixture.ConnectionStringVariable,
                ["UploadChecksum"] = "MD5", ["Retry"] = QuickRetry, ["Timeouts"] = QuickTimeouts,
            };
    }

    private CliSandbox Sandbox(Dictionary<string, object> targets)
    {
        var sandbox = new CliSandbox(settings => settings["Targets"] = targets);
        _sandboxes.Add(sandbox);
        _source = Path.Combine(sandbox.Root, "source");
        Directory.CreateDirectory(Path.Combine(_source, "db"));
        for (var i = 0; i < 6; i++)
        {
            File.WriteAllBytes(Path.Combine(_source, "db", $"part-{i}.bin"), BackupRestoreCommandTests.RandomBytes(700_000 + i, seed: i));
        }

        File.WriteAllText(Path.Combine(_source, "notes.txt"), string.Concat(Enumerable.Repeat("three-two-one\n", 5000)));
        return sandbox;
    }

    private Task ApplyAsync(CliSandbox sandbox, string policy, string targets) => sandbox.ApplyTargetsPolicyAsync(policy, _source, targets);
}
