using DrOrchestrator.Catalog;
using DrOrchestrator.Server.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>
/// Polls the catalog's policy version (one indexed read) and, when it moved, brings Quartz's
/// triggers in line — how `policy apply` from the CLI, the API or another node reaches this
/// node within <see cref="ServerOptions.PolicyPollSeconds"/>, without a restart. On start-up it
/// also catches up on fires missed while the service was down, and re-queues work a previous
/// process left unfinished (single-node work queue only; a shared one keeps its own jobs).
/// </summary>
public sealed class PolicyScheduleSynchronizer(
    IServiceScopeFactory scopes, PolicyScheduler scheduler, TimeProvider time, IOptions<ServerOptions> options, ILogger<PolicyScheduleSynchronizer> logger)
    : BackgroundService
{
    private long _version = -1;

    /// <summary>Completes once the first synchronisation is done (readiness, tests).</summary>
    public Task FirstSync => _firstSync.Task;

    private readonly TaskCompletionSource _firstSync = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.PolicyPollSeconds);
        bool started = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var catalog = scope.ServiceProvider.GetRequiredService<CatalogStore>();
                var version = await catalog.GetPolicyVersionAsync(stoppingToken).ConfigureAwait(false);
                if (version != _version)
                {
                    var policies = await catalog.ListPoliciesAsync(stoppingToken).ConfigureAwait(false);
                    await scheduler.SyncAsync(policies, time, stoppingToken).ConfigureAwait(false);
                    _version = version;
                    if (!started)
                    {
                        if (options.Value.WorkStorage == WorkStorage.InMemory)
                        {
                            await scope.ServiceProvider.GetRequiredService<InterruptedWork>().RequeueAsync(stoppingToken).ConfigureAwait(false);
                        }

                        await scope.ServiceProvider.GetRequiredService<FireCatchUp>().RunAsync(policies, stoppingToken).ConfigureAwait(false);
                        started = true;
                    }
                }

                _firstSync.TrySetResult();
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Log.SyncFailed(logger, ex.Message);
            }

            try
            {
                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
