using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Orchestration.Monitoring;

public static class MonitoringServiceCollectionExtensions
{
    /// <summary>
    /// RPO/RTO objectives, the watchdog with its alerts (a webhook when <c>Alerts:WebhookUrl</c> is
    /// set, else log only) and the metrics instruments. Options are validated at start-up.
    /// </summary>
    public static IServiceCollection AddDrOrchestratorMonitoring(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<AlertOptions>().Bind(configuration.GetSection(AlertOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MonitoringOptions>().Bind(configuration.GetSection(MonitoringOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddTransient<ObjectivesService>();
        services.TryAddSingleton<ObjectivesSnapshot>();
        services.TryAddSingleton<ObjectiveMetrics>();
        services.AddHttpClient<WebhookAlertSender>();
        services.TryAddSingleton<IAlertSender>(sp => sp.GetRequiredService<IOptions<AlertOptions>>().Value.WebhookUrl is null
            ? new LogOnlyAlertSender()
            : sp.GetRequiredService<WebhookAlertSender>());
        services.TryAddSingleton<IAlertingLease, SingleProcessAlertingLease>();
        services.TryAddSingleton<ObjectiveWatchdog>();
        return services;
    }
}
