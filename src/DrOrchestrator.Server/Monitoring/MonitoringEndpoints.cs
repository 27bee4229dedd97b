using DrOrchestrator.Orchestration.Monitoring;
using DrOrchestrator.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace DrOrchestrator.Server.Monitoring;

/// <summary>
/// The service's monitoring: the watchdog as a hosted service, OpenTelemetry metrics with the
/// Prometheus scrape endpoint at /metrics, and the status page at /. Both pages need an operator
/// key unless <see cref="MonitoringOptions"/> makes them public.
/// </summary>
public static class MonitoringEndpoints
{
    public static IServiceCollection AddDrOrchestratorServerMonitoring(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDrOrchestratorMonitoring(configuration);
        services.AddHostedService<MonitoringWatchdogService>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(ObjectiveMetrics.MeterName).AddPrometheusExporter());
        return services;
    }

    public static WebApplication MapDrOrchestratorMonitoring(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<MonitoringOptions>>().Value;
        var page = app.MapGet("/", StatusPageAsync).WithTags("status").ExcludeFromDescription();
        var metrics = app.MapPrometheusScrapingEndpoint("/metrics");
        Protect(page, options.PublicStatusPage);
        Protect(metrics, options.PublicMetrics);
        return app;
    }

    private static void Protect(IEndpointConventionBuilder endpoint, bool isPublic)
    {
        if (isPublic)
        {
            endpoint.AllowAnonymous();
        }
        else
        {
            endpoint.RequireAuthorization(ApiPolicies.Operator);
        }
    }

    private static async Task<IResult> StatusPageAsync(ObjectivesService objectives, CancellationToken ct)
    {
        var report = await objectives.GetAsync(ObjectivesService.Month, null, ct).ConfigureAwait(false);
        return Results.Content(StatusPage.Render(report), "text/html; charset=utf-8");
    }
}
