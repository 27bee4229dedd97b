using DrOrchestrator.Orchestration.Monitoring;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Server.Monitoring;

/// <summary>
/// Runs the <see cref="ObjectiveWatchdog"/> every <see cref="MonitoringOptions.CheckSeconds"/>, so
/// a breach is raised when exposure crosses the RPO (within one period), not at the next backup.
/// A failed pass (catalog unreachable) is logged and the next one tries again.
/// </summary>
public sealed class MonitoringWatchdogService(ObjectiveWatchdog watchdog, IOptions<MonitoringOptions> options, TimeProvider time, ILogger<MonitoringWatchdogService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.CheckSeconds), time);
        do
        {
            try
            {
                await watchdog.PassAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                MonitoringLog.PassFailed(logger, ex.GetBaseException().Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
