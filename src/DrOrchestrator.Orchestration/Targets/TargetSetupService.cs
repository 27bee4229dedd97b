using System.Diagnostics;
using System.Security.Cryptography;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.Targets;

/// <summary>What `drorch target init` did.</summary>
public sealed record TargetInitOutcome(string Target, string Store, bool ContainerCreated, bool RepositoryCreated, int Snapshots);

/// <summary>One check of `drorch target test`: its name, whether it passed, and what was seen.</summary>
public sealed record TargetProbeCheck(string Name, bool Passed, string Detail)
{
    /// <summary>A passed check that still deserves attention (no repository yet, a clock somewhat off).</summary>
    public bool IsWarning { get; init; }
}

/// <summary>
/// Sets a target up and checks it before the first backup needs it: <see cref="InitAsync"/>
/// creates the bucket or container and the repository (like <c>restic init</c>);
/// <see cref="TestAsync"/> checks reachability, the permissions a backup needs (list, put, get,
/// delete of a probe object), the clock against the store's, and that the key opens the
/// repository (like Kopia's provider validation).
/// </summary>
public sealed class TargetSetupService
{
    /// <summary>S3 and Azure refuse requests whose clock is 15 minutes off; a few minutes already hints at a broken NTP.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Store timestamps have one-second resolution (HTTP dates); less than this is not a skew.</summary>
    private static readonly TimeSpan SkewResolution = TimeSpan.FromSeconds(2);

    private const int ProbeBytes = 4096;

    private readonly RepositoryAccess _repositories;
    private readonly ILogger<TargetSetupService> _logger;

    public TargetSetupService(RepositoryAccess repositories, ILogger<TargetSetupService> logger)
    {
        _repositories = repositories;
        _logger = logger;
    }

    /// <summary>Creates the container (when the backend has one) and the repository, each unless it exists.</summary>
    public async Task<TargetInitOutcome> InitAsync(string target, CancellationToken cancellationToken)
    {
        var backend = _repositories.Targets.OpenBackend(target);
        var containerCreated = backend is IContainerStore container
            && await container.CreateContainerAsync(cancellationToken).ConfigureAwait(false);
        var store = _repositories.Targets.Open(target);
        var key = _repositories.KeyFor(target);
        var existed = await BackupRepository.ExistsAsync(store, cancellationToken).ConfigureAwait(false);
        await using var repository = existed
            ? await BackupRepository.OpenAsync(store, key, _repositories.IndexCache(), cancellationToken).ConfigureAwait(false)
            : await BackupRepository.InitAsync(store, key, _repositories.InitOptions(), cancellationToken).ConfigureAwait(false);
        var snapshots = existed ? (await repository.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false)).Count : 0;
        Log.TargetInitialised(_logger, target, backend.Location, containerCreated, !existed);
        return new TargetInitOutcome(target, backend.Location, containerCreated, !existed, snapshots);
    }

    /// <summary>Every check in order; a failed step skips those that depend on it.</summary>
    public async IAsyncEnumerable<TargetProbeCheck> TestAsync(string target, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var store = _repositories.Targets.Open(target);
        var clock = Stopwatch.StartNew();
        var reach = await RunAsync("reach and list", async () =>
        {
            var listed = 0;
            await foreach (var _ in store.ListAsync("", cancellationToken).ConfigureAwait(false))
            {
                if (++listed == 10)
                {
                    break;
                }
            }

            return $"{store.Description} ({store.Location}) answered in {clock.Elapsed.TotalSeconds:0.00} s";
        }).ConfigureAwait(false);
        yield return reach;
        if (!reach.Passed)
        {
            yield break;
        }

        var probeKey = $"drorch-probe-{Guid.NewGuid():N}";
        var probe = RandomNumberGenerator.GetBytes(ProbeBytes);
        var before = DateTimeOffset.UtcNow;
        var put = await RunAsync("put probe object", async () =>
        {
            await store.PutAsync(probeKey, new MemoryStream(probe, writable: false), cancellationToken).ConfigureAwait(false);
            return $"{probeKey} ({ProbeBytes} bytes)";
        }).ConfigureAwait(false);
        var after = DateTimeOffset.UtcNow;
        yield return put;
        if (!put.Passed)
        {
            yield break;
        }

        yield return await RunAsync("get probe object", async () =>
        {
            var read = new MemoryStream();
            var stream = await store.GetAsync(probeKey, null, cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                await stream.CopyToAsync(read, cancellationToken).ConfigureAwait(false);
            }

            return read.ToArray().AsSpan().SequenceEqual(probe) ? "content matches" : throw new InvalidDataException("content read back differs from what was written");
        }).ConfigureAwait(false);

        var skew = await ClockSkewAsync(store, probeKey, before, after, cancellationToken).ConfigureAwait(false);
        yield return skew;

        yield return await RunAsync("delete probe object", async () =>
        {
            await store.DeleteAsync(probeKey, cancellationToken).ConfigureAwait(false);
            return await store.StatAsync(probeKey, cancellationToken).ConfigureAwait(false) is null
                ? "gone"
                : throw new InvalidDataException("the probe object is still listed after its delete");
        }).ConfigureAwait(false);

        yield return await RepositoryKeyAsync(target, cancellationToken).ConfigureAwait(false);
    }

    private async Task<TargetProbeCheck> ClockSkewAsync(IObjectStore store, string probeKey, DateTimeOffset before, DateTimeOffset after, CancellationToken cancellationToken)
    {
        try
        {
            var info = await store.StatAsync(probeKey, cancellationToken).ConfigureAwait(false);
            if (info?.LastModified is not { } stamped)
            {
                return new TargetProbeCheck("clock skew", true, "the store gives no modification time; not checked") { IsWarning = true };
            }

            // The store stamped the object between our two readings of the clock.
            var skew = stamped < before - SkewResolution ? stamped - before
                : stamped > after + SkewResolution ? stamped - after
                : TimeSpan.Zero;
            var text = $"{(skew < TimeSpan.Zero ? "-" : "+")}{skew.Duration().TotalSeconds:0} s against the store (limit {MaxClockSkew.TotalMinutes:0} min)";
            return skew.Duration() > MaxClockSkew
                ? new TargetProbeCheck("clock skew", false, text + ": fix this machine's time (NTP); the store will refuse requests")
                : new TargetProbeCheck("clock skew", true, text);
        }
        catch (ObjectStoreException ex)
        {
            return new TargetProbeCheck("clock skew", false, ex.Message);
        }
    }

    private async Task<TargetProbeCheck> RepositoryKeyAsync(string target, CancellationToken cancellationToken)
    {
        const string Name = "repository key";
        try
        {
            var key = _repositories.KeyFor(target);
            var store = _repositories.Targets.OpenReadOnly(target);
            if (!await BackupRepository.ExistsAsync(store, cancellationToken).ConfigureAwait(false))
            {
                return new TargetProbeCheck(Name, true, $"no repository yet (`drorch target init {target}` or the first backup creates it)") { IsWarning = true };
            }

            await using var repository = await BackupRepository.OpenAsync(store, key, indexCache: null, cancellationToken).ConfigureAwait(false);
            var snapshots = await repository.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false);
            return new TargetProbeCheck(Name, true, $"opens the repository ({snapshots.Count} {(snapshots.Count == 1 ? "snapshot" : "snapshots")})");
        }
        catch (Exception ex) when (ex is RepositoryException or ObjectStoreException or Core.Security.SecretNotFoundException or Configuration.ConfigurationException)
        {
            return new TargetProbeCheck(Name, false, ex.Message);
        }
    }

    private async Task<TargetProbeCheck> RunAsync(string name, Func<Task<string>> check)
    {
        try
        {
            return new TargetProbeCheck(name, true, await check().ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is ObjectStoreException or InvalidDataException)
        {
            Log.TargetCheckFailed(_logger, name, ex.Message);
            return new TargetProbeCheck(name, false, ex.Message);
        }
    }
}
