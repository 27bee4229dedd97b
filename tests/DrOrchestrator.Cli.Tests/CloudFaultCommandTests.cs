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
        foreach (var name in new[] { "direct", "proxied", "proxied-clean" })
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
        // Named as configured (issue 19 item 9), not by the store's location.
        Assert.True(bad.Count > 0 && bad.All(b => b.StartsWith("flaky: ", StringComparison.Ordinal)), string.Join("\n", bad));
        Assert.DoesNotContain(Location(flaky, "proxied"), restore.Stdout + restore.Stderr, StringComparison.Ordinal);
        // Which objects meet the primary first depends on timing (a copy that failed drops behind
        // the replica), but the repository's metadata is always read first, so some of it fell back.
        Assert.Contains(bad, b => new[] { ": config: ", ": keys/", ": index/" }.Any(m => b.Contains(m, StringComparison.Ordinal)));
        Assert.Contains("bad copy skipped", restore.Stderr, StringComparison.Ordinal);
        Assert.NotEmpty(Proxy(flaky).Injected);
        _output.WriteLine($"restore via flipping {flaky} primary + healthy {healthy} replica: {cleanTime.TotalSeconds:0.0} s without faults, {faultyTime.TotalSeconds:0.0} s with every GET body flipped ({Proxy(flaky).Injected.Count} responses flipped, {bad.Count} bad copies reported)");
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_backup_and_a_restore_through_a_proxy_that_stalls_one_response_in_ten_finish_with_every_byte_verified_and_the_stalls_hedged(string backend)
    {
        // Timeouts:Request 10 s: far above any hedging threshold (4x the recent p95, from 200 ms),
        // so a stall is ended by a hedge, sent while the stalled connection is still open; a retry
        // after a timeout would come only once the client has closed it. Whether 3x the fault-free
        // time holds is measured in bench/stall.py (docs/decisions.md §64), not asserted here: on
        // this shared 2-core host the ratio moves with the load.
        // Uploads are hedged too (Hedging:Puts, on again by default since §69: a loser is cut only
        // after its body was sent, so s3rver's in-place writes keep whole packs — the restore below
        // verifies every byte); a stall that no hedge ends waits for Request, 10 s to keep it short.
        var timeouts = new Dictionary<string, string> { ["Request"] = "00:00:10" };
        var sandbox = Sandbox(new() { ["stalling"] = Target(backend, "proxied", timeouts) },
            largeFiles: 8, largeFileMiB: 4, repository: new() { ["PackSize"] = 4 * 1024 * 1024 });
        await ApplyAsync(sandbox, "stalled", "targets: [{ name: stalling, role: primary }]");

        var responses = 0;
        Proxy(backend).Faults = _ => Interlocked.Increment(ref responses) % 10 == 0 ? ProxyFault.Stall : ProxyFault.None;
        var clock = Stopwatch.StartNew();
        var backup = await sandbox.RunAsync("backup", "stalled");
        var backupTime = clock.Elapsed;
        var backupResponses = responses;
        var backupStalls = Proxy(backend).Stalls();
        Assert.True(backup.ExitCode == 0, backup.ToString());

        // The restore meets its own stalls: the count starts again.
        Interlocked.Exchange(ref responses, 0);
        clock.Restart();
        var destination = Path.Combine(sandbox.Root, "restored");
        var restore = await sandbox.RunAsync("restore", "stalled", "--to", destination, "--json");
        var restoreTime = clock.Elapsed;
        var restoreResponses = responses;
        Proxy(backend).Faults = null;
        var restoreStalls = Proxy(backend).Stalls().Skip(backupStalls.Count).ToList();

        var summary = $"{backend}, every 10th response stalled: backup {backupTime.TotalSeconds:0.0} s ({Describe(backupStalls)} in {backupResponses} responses), "
            + $"restore {restoreTime.TotalSeconds:0.0} s ({Describe(restoreStalls)} in {restoreResponses} responses), load average {LoadAverage()}";
        _output.WriteLine(summary);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        // Every byte restored, by SHA-256 (and the restore's own verification of every file).
        BackupRestoreCommandTests.AssertSameTree(_source, Path.Combine(destination, "source"));
        using (var json = JsonDocument.Parse(restore.Stdout))
        {
            Assert.Equal(json.RootElement.GetProperty("files").GetInt64(), json.RootElement.GetProperty("filesVerified").GetInt64());
        }

        // Every 10th response of each run, not one per run.
        Assert.True(backupStalls.Count >= 2 && backupStalls.Count == backupResponses / 10, summary);
        Assert.True(restoreStalls.Count >= 1 && restoreStalls.Count == restoreResponses / 10, summary);
        // At least one stall was overtaken by a hedge: the same request sent again while the stalled
        // connection was still open. Not necessarily every one: the budget allows one hedge per ten
        // requests after a burst of two, a busy host can spend some on slow answers, and a stalled
        // response may be a hedge's own (the first attempt then wins and nothing is sent again).
        Assert.Contains(backupStalls.Concat(restoreStalls), s => s.ResentWhileOpen);
    }

    private static string Describe(IReadOnlyList<StalledExchange> stalls) =>
        $"{stalls.Count} stalls: " + string.Join(", ", stalls.Select(s => $"{s.Exchange.Method} {StoredKey(s.Exchange.Target)} "
            + (s.ResentAt is null ? "never sent again" : s.ResentWhileOpen ? "hedged" : "retried")));

    /// <summary>The repository key a request names (the part after the bucket or container), or the target as sent.</summary>
    private static string StoredKey(string target)
    {
        var path = target.Split('?')[0];
        foreach (var kind in new[] { "/data/", "/index/", "/snapshots/", "/keys/", "/config" })
        {
            var at = path.IndexOf(kind, StringComparison.Ordinal);
            if (at >= 0)
            {
                var key = path[(at + 1)..];
                return key.Length > 24 ? key[..24] + "…" : key;
            }
        }

        return target.Length > 60 ? target[..60] + "…" : target;
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Check_read_data_through_a_flipping_connection_reports_read_errors_in_transit_and_only_real_damage_as_damaged_at_rest(string backend)
    {
        var sandbox = Sandbox(new() { ["flaky"] = Target(backend, "proxied") });
        await ApplyAsync(sandbox, "checked", "targets: [{ name: flaky, role: primary }]");
        Assert.Equal(0, (await sandbox.RunAsync("backup", "checked")).ExitCode);
        File.WriteAllText(Path.Combine(_source, "notes.txt"), "changed\n");
        Assert.Equal(0, (await sandbox.RunAsync("backup", "checked")).ExitCode);

        var clock = Stopwatch.StartNew();
        var clean = await sandbox.RunAsync("check", "flaky", "--read-data", "--json");
        var cleanTime = clock.Elapsed;
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.DoesNotContain(Findings(clean), f => f.Severity != "info");

        // The first read of every object arrives with one bit flipped; a fresh read is clean: a
        // connection that damages bytes on the way, over a repository that is intact.
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        Proxy(backend).Faults = e => e.Method == "GET" && !IsListing(e.Target) && e.BodyLength > 0 && seen.TryAdd(e.Target, true)
            ? ProxyFault.FlipBodyByte : ProxyFault.None;
        clock.Restart();
        var flipped = await sandbox.RunAsync("check", "flaky", "--read-data", "--json");
        var flippedTime = clock.Elapsed;
        var flips = Proxy(backend).Injected.Count;
        var findings = Findings(flipped);
        Assert.True(flipped.ExitCode == 0, flipped.ToString());
        Assert.DoesNotContain(findings, f => f.Severity == "error" || f.Message.Contains("at rest", StringComparison.Ordinal));
        var transit = findings.Where(f => f.Severity == "warning" && f.Message.StartsWith("read error in transit", StringComparison.Ordinal)).ToList();
        // Metadata as well as packs: the config and the key file are read at open, indexes and snapshots after.
        foreach (var kind in new[] { "config", "keys/", "index/", "snapshots/", "data/" })
        {
            Assert.True(transit.Any(f => f.Object?.StartsWith(kind, StringComparison.Ordinal) == true), $"no transit warning for {kind}:\n{flipped}");
        }

        // A negative control: a snapshot and a pack really damaged at rest, read through the same
        // flipping connection, are reported as damaged at rest — and nothing else is.
        var direct = await DirectStoreAsync(backend);
        var snapshotKey = await FirstKeyAsync(direct, "snapshots/");
        var packKey = await FirstKeyAsync(direct, "data/");
        await DamageAsync(direct, snapshotKey);
        await DamageAsync(direct, packKey);
        seen.Clear();
        clock.Restart();
        var damaged = await sandbox.RunAsync("check", "flaky", "--read-data", "--json");
        var damagedTime = clock.Elapsed;
        Proxy(backend).Faults = null;
        Assert.True(damaged.ExitCode == 1, damaged.ToString());
        var atRest = Findings(damaged).Where(f => f.Message.Contains("damaged at rest", StringComparison.Ordinal)).ToList();
        foreach (var finding in atRest)
        {
            _output.WriteLine($"at rest: {finding}");
        }

        Assert.True(atRest.All(f => f.Severity == "error"), damaged.ToString());
        Assert.Contains(atRest, f => f.Object == snapshotKey);
        Assert.Contains(atRest, f => f.Object == packKey);
        // Nothing else is called damaged at rest — except a tree inside the damaged pack (the
        // first pack listed is sometimes a tree pack), reported under the snapshot that reaches it.
        Assert.All(atRest, f => Assert.True(f.Object == snapshotKey || f.Object == packKey || f.Message.Contains(packKey, StringComparison.Ordinal), f.ToString()));
        Assert.Contains("the repository on flaky is damaged", damaged.Stderr, StringComparison.Ordinal);
        _output.WriteLine($"check --read-data of {backend}: {cleanTime.TotalSeconds:0.0} s without faults, {flippedTime.TotalSeconds:0.0} s with every object's first read flipped ({flips} flips, {transit.Count} transit warnings, 0 errors), {damagedTime.TotalSeconds:0.0} s with a snapshot and a pack damaged at rest as well");
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Every_message_about_an_unreachable_target_names_it_as_configured(string backend)
    {
        var sandbox = Sandbox(new()
        {
            ["offsite"] = Target(backend, "proxied"),
            ["nearby"] = Target(backend, "direct"),
        });
        await ApplyAsync(sandbox, "named", """
            targets:
              - { name: nearby, role: primary }
              - { name: offsite, role: replica }
            """);
        await ApplyAsync(sandbox, "only-offsite", "targets: [{ name: offsite, role: primary }]");
        Assert.Equal(0, (await sandbox.RunAsync("backup", "only-offsite")).ExitCode);

        // Every connection to offsite is reset.
        Proxy(backend).Faults = _ => ProxyFault.Reset;
        var location = Location(backend, "proxied");
        var runs = new Dictionary<string, CliRun>
        {
            ["backup"] = await sandbox.RunAsync("backup", "only-offsite"),
            ["backup with a replica"] = await sandbox.RunAsync("backup", "named"),
            ["copy"] = await sandbox.RunAsync("copy", "named"),
            ["restore --from"] = await sandbox.RunAsync("restore", "only-offsite", "--from", "offsite", "--to", Path.Combine(sandbox.Root, "r1")),
            ["check"] = await sandbox.RunAsync("check", "offsite"),
            ["target test"] = await sandbox.RunAsync("target", "test", "offsite"),
        };
        Proxy(backend).Faults = null;

        foreach (var (command, run) in runs)
        {
            var text = run.Stdout + run.Stderr;
            Assert.True(text.Contains("offsite: ", StringComparison.Ordinal), $"{command}: {run}");
            Assert.False(text.Contains(location, StringComparison.Ordinal), $"{command} names the store's location {location}: {run}");
            Assert.False(text.Contains("offsite: offsite:", StringComparison.Ordinal), $"{command} names the target twice: {run}");
        }

        // Unreachable is "operation failed" (1), not invalid input (2); a replica's outage fails nothing.
        Assert.Equal((1, 0, 1, 1, 1), (runs["backup"].ExitCode, runs["backup with a replica"].ExitCode, runs["restore --from"].ExitCode, runs["check"].ExitCode, runs["target test"].ExitCode));
        // Where the location helps (target test, once it answers), it follows the name in parentheses.
        var test = await sandbox.RunAsync("target", "test", "offsite");
        Assert.True(test.ExitCode == 0, test.ToString());
        Assert.Contains($"offsite ({location}) answered in ", test.Stdout, StringComparison.Ordinal);
    }

    /// <summary>The findings of `check --json` (one indented JSON object each, then the summary).</summary>
    private static List<CheckFindingLine> Findings(CliRun run)
    {
        var findings = new List<CheckFindingLine>();
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(run.Stdout), new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            using (var document = JsonDocument.ParseValue(ref reader))
            {
                var e = document.RootElement;
                if (e.TryGetProperty("severity", out var severity))
                {
                    findings.Add(new CheckFindingLine(severity.GetString()!, e.GetProperty("object").GetString(), e.GetProperty("message").GetString()!));
                }
            }
        }

        return findings;
    }

    private sealed record CheckFindingLine(string Severity, string? Object, string Message);

    private static async Task<string> FirstKeyAsync(Core.Storage.IObjectStore store, string prefix)
    {
        await foreach (var info in store.ListAsync(prefix, CancellationToken.None))
        {
            return info.Key;
        }

        throw new InvalidOperationException($"nothing under {prefix}");
    }

    /// <summary>Flips one bit in the middle of the stored object (damage at rest).</summary>
    private static async Task DamageAsync(Core.Storage.IObjectStore store, string key)
    {
        using var bytes = new MemoryStream();
        await using (var stream = await store.GetAsync(key, null, CancellationToken.None))
        {
            await stream.CopyToAsync(bytes);
        }

        var damaged = bytes.ToArray();
        damaged[damaged.Length / 3] ^= 0x10;
        await store.PutAsync(key, new MemoryStream(damaged), CancellationToken.None);
    }

    private async Task<Core.Storage.IObjectStore> DirectStoreAsync(string backend) =>
        backend == "s3" ? await _s3.CreateStoreAsync(Bucket("proxied"), "repo") : await _azure.CreateStoreAsync(Container("proxied"), "repo");

    /// <summary>The store's own location string for a bucket/container of this test (never to be shown instead of the target's name).</summary>
    private string Location(string backend, string name) => backend == "s3"
        ? $"s3:{Bucket(name)}/repo/@127.0.0.1:{_s3Proxy.Port}"
        : $"azure:devstoreaccount1/{Container(name)}/repo/";

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static bool IsListing(string target) =>
        target.Contains("list-type=", StringComparison.Ordinal) || target.Contains("comp=list", StringComparison.Ordinal);

    private FaultInjectingTcpProxy Proxy(string backend) => backend == "s3" ? _s3Proxy : _azureProxy;

    private string Bucket(string name) => $"{name}-{_run}";

    private string Container(string name) => $"{name}-{_run}";

    private Dictionary<string, object> Target(string backend, string name, Dictionary<string, string>? timeouts = null)
    {
        timeouts ??= QuickTimeouts;
        var proxied = name.StartsWith("proxied", StringComparison.Ordinal);
        return backend == "s3"
            ? new Dictionary<string, object>
            {
                ["Type"] = "s3", ["ServiceUrl"] = proxied ? _s3Proxy.Url : _s3.ServiceUrl, ["ForcePathStyle"] = "true", ["Bucket"] = Bucket(name), ["Prefix"] = "repo",
                ["AccessKeyIdEnvironmentVariable"] = S3rverFixture.AccessKeyVariable, ["SecretAccessKeyEnvironmentVariable"] = S3rverFixture.SecretKeyVariable,
                ["DisableChunkEncoding"] = "true", ["ChecksumsWhenRequiredOnly"] = "true", ["Retry"] = QuickRetry, ["Timeouts"] = timeouts,
            }
            : new Dictionary<string, object>
            {
                ["Type"] = "azure", ["Container"] = Container(name), ["Prefix"] = "repo",
                ["ConnectionStringEnvironmentVariable"] = proxied ? _proxiedAzureVariable : _azure.ConnectionStringVariable,
                ["UploadChecksum"] = "MD5", ["Retry"] = QuickRetry, ["Timeouts"] = timeouts,
            };
    }

    private CliSandbox Sandbox(Dictionary<string, object> targets, int largeFiles = 0, int largeFileMiB = 4, Dictionary<string, object>? repository = null)
    {
        var sandbox = new CliSandbox(settings =>
        {
            settings["Targets"] = targets;
            if (repository is not null)
            {
                settings["Repository"] = repository;
            }
        });
        _sandboxes.Add(sandbox);
        _source = Path.Combine(sandbox.Root, "source");
        Directory.CreateDirectory(Path.Combine(_source, "db"));
        for (var i = 0; i < 6; i++)
        {
            File.WriteAllBytes(Path.Combine(_source, "db", $"part-{i}.bin"), BackupRestoreCommandTests.RandomBytes(700_000 + i, seed: i));
        }

        for (var i = 0; i < largeFiles; i++)
        {
            File.WriteAllBytes(Path.Combine(_source, "db", $"large-{i}.bin"), BackupRestoreCommandTests.RandomBytes((largeFileMiB * 1024 * 1024) + i, seed: 100 + i));
        }

        File.WriteAllText(Path.Combine(_source, "notes.txt"), string.Concat(Enumerable.Repeat("three-two-one\n", 5000)));
        return sandbox;
    }

    private Task ApplyAsync(CliSandbox sandbox, string policy, string targets) => sandbox.ApplyTargetsPolicyAsync(policy, _source, targets);
}
