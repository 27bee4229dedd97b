using DrOrchestrator.Catalog.Configuration;
using DrOrchestrator.Server.Api;
using DrOrchestrator.Server.Configuration;
using DrOrchestrator.Server.Scheduling;
using DrOrchestrator.Server.Security;
using DrOrchestrator.Server.Work;
using Hangfire;
using Hangfire.PostgreSql;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Quartz;

namespace DrOrchestrator.Server;

public static class ServerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the service around the Orchestration use cases: API-key authentication and the
    /// two roles, Quartz (policy triggers, RPO watchdog), Hangfire (jobs, on <paramref name="options"/>'
    /// work storage), the schedule synchroniser and the graceful-shutdown coordinator.
    /// </summary>
    public static IServiceCollection AddDrOrchestratorServer(this IServiceCollection services, IConfiguration configuration, ServerOptions options, ApiKeyStore keys)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Already bound and validated (ServerOptionsLoader): the same instance serves every consumer.
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(keys);
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiPolicies.Operator, p => p.RequireAuthenticatedUser().RequireRole("operator", "admin"))
            .AddPolicy(ApiPolicies.Admin, p => p.RequireAuthenticatedUser().RequireRole("admin"));
        services.AddProblemDetails();
        services.AddOpenApi();

        services.AddSingleton<RunTracker>();
        services.AddSingleton<RpoReadings>();
        services.AddSingleton<PolicyScheduler>();
        services.AddSingleton<ShutdownCoordinator>();
        services.AddHostedService(sp => sp.GetRequiredService<ShutdownCoordinator>());
        services.AddSingleton<IWorkQueue, HangfireWorkQueue>();
        services.AddScoped<FireHandler>();
        services.AddScoped<FireCatchUp>();
        services.AddScoped<InterruptedWork>();
        services.AddTransient<PolicyJobs>();
        services.AddSingleton<PolicyScheduleSynchronizer>();
        services.AddHostedService(sp => sp.GetRequiredService<PolicyScheduleSynchronizer>());

        AddQuartz(services, options);
        AddHangfire(services, configuration, options);
        services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownGraceSeconds + 30));
        return services;
    }

    private static void AddQuartz(IServiceCollection services, ServerOptions options)
    {
        services.AddQuartz(q =>
        {
            // Unique per host: Quartz keeps schedulers in a process-wide registry by name.
            q.ConfigureScheduler(s => s.InstanceName = "drorch-" + Guid.NewGuid().ToString("N")[..8]);
            q.UseInMemoryStore(s => s.MisfireThreshold = TimeSpan.FromSeconds(options.MisfireGraceSeconds));
            q.AddJob<PolicyFireJob>(j => j.WithIdentity(PolicyTriggers.FireJob).StoreDurably());
            q.AddJob<RpoWatchdogJob>(j => j.WithIdentity(RpoWatchdogJob.Key).StoreDurably());
            q.AddTrigger(t => t
                .ForJob(RpoWatchdogJob.Key)
                .WithIdentity("rpo-watchdog", "drorch")
                .StartAt(DateTimeOffset.UtcNow.AddSeconds(options.RpoCheckSeconds))
                .WithSchedule(SimpleScheduleBuilder.Create().WithInterval(TimeSpan.FromSeconds(options.RpoCheckSeconds)).RepeatForever()));
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = false);
    }

    private static void AddHangfire(IServiceCollection services, IConfiguration configuration, ServerOptions options)
    {
        services.AddHangfire((sp, c) =>
        {
            c.SetDataCompatibilityLevel(CompatibilityLevel.Version_180).UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();
            if (options.WorkStorage == WorkStorage.Postgres)
            {
                var catalog = new CatalogOptions();
                configuration.GetSection(CatalogOptions.SectionName).Bind(catalog);
                var connectionString = CatalogDbContextConfigurator.PostgresConnectionString(catalog);
                c.UsePostgreSqlStorage(o => o.UseNpgsqlConnection(connectionString));
            }
            else
            {
                c.UseInMemoryStorage();
            }
        });
        services.AddHangfireServer(o =>
        {
            o.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";
            o.WorkerCount = options.WorkerCount;
            // Jobs get their grace from the ShutdownCoordinator; Hangfire must wait longer than that.
            o.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownGraceSeconds + 15);
            o.CancellationCheckInterval = TimeSpan.FromSeconds(1);
            o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
        });
    }
}
