using DrOrchestrator.Server.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Server.Work;

/// <summary>
/// SIGTERM: the host stops taking requests and the work queue fetches no new job; running jobs
/// get <see cref="ServerOptions.ShutdownGraceSeconds"/> to finish, then <see cref="Deadline"/>
/// cancels them (nothing half-written becomes visible) and they are re-queued.
/// </summary>
public sealed class ShutdownCoordinator(IHostApplicationLifetime lifetime, IOptions<ServerOptions> options, ILogger<ShutdownCoordinator> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _deadline = new();
    private CancellationTokenRegistration _registration;

    public bool IsStopping => lifetime.ApplicationStopping.IsCancellationRequested;

    /// <summary>Cancelled when the grace after a shutdown request has run out.</summary>
    public CancellationToken Deadline => _deadline.Token;

    public TimeSpan Grace => TimeSpan.FromSeconds(options.Value.ShutdownGraceSeconds);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = lifetime.ApplicationStopping.Register(() =>
        {
            Log.ShutdownGrace(logger, options.Value.ShutdownGraceSeconds);
            _deadline.CancelAfter(Grace);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _registration.Dispose();
        _deadline.Dispose();
    }
}
