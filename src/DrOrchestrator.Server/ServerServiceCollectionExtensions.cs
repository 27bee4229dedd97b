using DrOrchestrator.Catalog.Configuration;
using DrOrchestrator.Orchestration.Monitoring;
using DrOrchestrator.Server.Api;
using DrOrchestrator.Server.Configuration;
using DrOrchestrator.Server.Monitoring;
using DrOrchestrator.Server.Scheduling;
using DrOrchestrator.Server.Security;
using DrOrchestrator.Server.Work;
using DrOrchestrator.Server.Work.Locks;
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
        services.AddSingleton<PolicyScheduler>();
        services.AddSingleton<ShutdownCoordinator>();
        services.AddHostedService(sp => sp.GetRequiredService<ShutdownCoordinator>());
        services.AddSingleton<IWorkQueue, HangfireWorkQueue>();
        services.AddSingleton(TargetConcurrencyLimits.Load(configuration));
        var clusterConnection = options.WorkStorage == WorkStorage.Postgres ? ClusterConnectionString(configuration) : null;
        services.AddSingleton<IWorkLocks>(clusterConnection is null ? new InProcessWorkLocks() : new PostgresAdvisoryWorkLocks(clusterConnection));
        // Every node watches; only the holder of this lock alerts (so a cluster alerts once).
        services.AddSingleton<IAlertingLease, WorkLockAlertingLease>();
        services.AddSingleton<KnownFires>();
        services.AddScoped<FireHandler>();
        services.AddSingleton<FireIntake>();
        services.AddHostedService(sp => sp.GetRequiredService<FireIntake>());
        services.AddScoped<FireCatchUp>();
        services.AddScoped<StrandedFires>();
        services.AddScoped<InterruptedWork>();
        services.AddScoped<PruneFollowUp>();
        services.AddTransient<PolicyJobs>();
        services.AddTransient<SystemRecordJob>();
        services.AddSingleton<PolicyScheduleSynchronizer>();
        services.AddHostedService(sp => sp.GetRequiredService<PolicyScheduleSynchronizer>());

        AddQuartz(services, options, clusterConnection);
        AddHangfire(services, options, clusterConnection);
        services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownGraceSeconds + 30));
        return services;
    }

    /// <summary>The catalog's PostgreSQL, where a cluster keeps its schedule, its queue and its work claims.</summary>
    private static string ClusterConnectionString(IConfiguration configuration)
    {
        var catalog = new CatalogOptions();
        configuration.GetSection(CatalogOptions.SectionName).Bind(catalog);
        return CatalogDbContextConfigurator.PostgresConnectionString(catalog);
    }

    private static void AddQuartz(IServiceCollection services, ServerOptions options, string? clusterConnection)
    {
        services.AddQuartz(q =>
        {
            var misfire = TimeSpan.FromSeconds(options.MisfireGraceSeconds);
            // A fire's job waits (asynchronously, holding no thread) while FireIntake claims its
            // burst, so the pool must hold a whole burst: at Quartz's default of 10, 1,000 policies
            // due at one instant went through in 100 rounds. A round takes up to FireBatch
            // triggers already due (at the default window nothing fires early); Quartz's automatic
            // batch size would be the pool's size on a database store, and 1 in memory (a
            // scheduler round per policy).
            q.UseDefaultThreadPool(pool => pool.MaxConcurrency = FireConcurrency);
            q.ConfigureScheduler(s => s.MaxBatchSize = FireBatch);
            if (clusterConnection is null)
            {
                // Unique per host: Quartz keeps schedulers in a process-wide registry by name.
                q.ConfigureScheduler(s => s.InstanceName = "drorch-" + Guid.NewGuid().ToString("N")[..8]);
                q.UseInMemoryStore(s => s.MisfireThreshold = misfire);
            }
            else
            {
                // One scheduler name for every node: it is the key of the shared rows. Quartz creates
                // its tables itself (idempotent, safe when nodes start at once); each node checks in,
                // and a node silent past the threshold has its in-flight fires recovered by another.
                q.ConfigureScheduler(s => s.InstanceName = ClusterSchedulerName);
                q.UsePersistentStore(s =>
                {
                    s.UsePostgres(clusterConnection);
                    s.UseClustering(c =>
                    {
                        c.CheckinInterval = TimeSpan.FromSeconds(options.ClusterCheckinSeconds);
                        c.CheckinMisfireThreshold = TimeSpan.FromSeconds(options.ClusterCheckinSeconds * 2);
                    });
                    s.ConfigureStore(store => store.MisfireThreshold = misfire);
                    s.ProvisionSchema();
                });
            }

            q.AddJob<PolicyFireJob>(j => j.WithIdentity(PolicyTriggers.FireJob).StoreDurably());
            q.AddJob<RpoWatchdogJob>(j => j.WithIdentity(RpoWatchdogJob.Key).StoreDurably());
            q.AddTrigger(t => t
                .ForJob(RpoWatchdogJob.Key)
                .WithIdentity("rpo-watchdog", "drorch")
                .StartAt(DateTimeOffset.UtcNow.AddSeconds(options.RpoCheckSeconds))
                .WithSchedule(SimpleScheduleBuilder.Create().WithInterval(TimeSpan.FromSeconds(options.RpoCheckSeconds)).RepeatForever()));
            q.AddJob<FireHistoryRetentionJob>(j => j.WithIdentity(FireHistoryRetentionJob.Key).StoreDurably());
            q.AddTrigger(t => t
                .ForJob(FireHistoryRetentionJob.Key)
                .WithIdentity(FireHistoryRetentionJob.TriggerKey)
                .WithCronSchedule(FireHistoryRetentionJob.Cron, c => c.InTimeZone(TimeZoneInfo.Utc).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed)));
            // The orchestrator's own backup at least daily, whatever the policies' schedules (docs/decisions.md §61).
            q.AddJob<SystemRecordDailyJob>(j => j.WithIdentity(SystemRecordDailyJob.Key).StoreDurably());
            q.AddTrigger(t => t
                .ForJob(SystemRecordDailyJob.Key)
                .WithIdentity(SystemRecordDailyJob.TriggerKey)
                .WithCronSchedule(SystemRecordDailyJob.Cron, c => c.InTimeZone(TimeZoneInfo.Utc).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed)));
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = false);
    }

    /// <summary>
    /// Quartz jobs in flight at once: fires waiting for their burst's claim (decisions §60). At 250
    /// a burst of 1,000 reached the intake in four waves, each waiting for the one before.
    /// </summary>
    public const int FireConcurrency = 2000;

    /// <summary>
    /// Hangfire's global filters this service has no use for, each of which costs statements per
    /// job on Hangfire.PostgreSql (decisions §72): <see cref="CaptureCultureAttribute"/> writes the
    /// enqueuer's culture as a job parameter and reads it back (two queries) before every run —
    /// the jobs run in the same service, whose culture the worker thread already has, and nothing
    /// they do is culture-dependent (names, ids and invariant formats); <see cref="ContinuationsSupportAttribute"/>
    /// reads a "Continuations" parameter at every final state (Succeeded, Deleted) — the service
    /// creates no continuation (<c>ContinueJobWith</c>). <see cref="AutomaticRetryAttribute"/>
    /// (the retries with back-off) and <see cref="StatisticsHistoryAttribute"/> (the dashboard's
    /// history graph) stay. The collection is process-wide; removing an absent filter is a no-op.
    /// </summary>
    public static void RemoveUnusedGlobalJobFilters()
    {
        GlobalJobFilters.Filters.Remove(typeof(CaptureCultureAttribute));
        GlobalJobFilters.Filters.Remove(typeof(ContinuationsSupportAttribute));
    }

    /// <summary>
    /// Hangfire.PostgreSql's connections (its own pool): its statements are a fixed set run for
    /// every job, so Npgsql prepares them on the server once per connection instead of PostgreSQL
    /// parsing and planning each again (<c>Max Auto Prepare</c>); and a connection going back to
    /// the pool is not reset with <c>DISCARD ALL</c> (one more statement per pooled use, ten per
    /// job, which would also drop those prepared statements) — Hangfire.PostgreSql leaves no
    /// session state behind (its locks are rows, long polling is off). The work locks keep their
    /// own unpooled connections (session advisory locks), Quartz and the catalog their own pools.
    /// </summary>
    public static string HangfireConnectionString(string clusterConnection)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(clusterConnection)
        {
            MaxAutoPrepare = HangfireMaxAutoPrepare,
            AutoPrepareMinUsages = 2,
            NoResetOnClose = true,
        };
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "drorch hangfire";
        }

        return builder.ToString();
    }

    /// <summary>Statements prepared per Hangfire connection: its per-job set is about 20 (decisions §72).</summary>
    public const int HangfireMaxAutoPrepare = 40;

    /// <summary>Triggers per Quartz round (one transaction on the clustered store); rounds follow each other without waiting for the jobs.</summary>
    public const int FireBatch = 250;

    /// <summary>The Quartz scheduler name every node of a cluster shares.</summary>
    public const string ClusterSchedulerName = "drorch";

    private static void AddHangfire(IServiceCollection services, ServerOptions options, string? clusterConnection)
    {
        RemoveUnusedGlobalJobFilters();
        services.AddHangfire((sp, c) =>
        {
            c.SetDataCompatibilityLevel(CompatibilityLevel.Version_180).UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();
            if (clusterConnection is not null)
            {
                // A running job's fetch is renewed while its node lives (sliding); a dead node's job
                // becomes visible to the others after the timeout and is run again there.
                c.UsePostgreSqlStorage(o => o.UseNpgsqlConnection(HangfireConnectionString(clusterConnection)), new PostgreSqlStorageOptions
                {
                    PrepareSchemaIfNecessary = true,
                    UseSlidingInvisibilityTimeout = true,
                    InvisibilityTimeout = TimeSpan.FromSeconds(options.JobInvisibilityTimeoutSeconds),
                    QueuePollInterval = TimeSpan.FromSeconds(1),
                    // No LISTEN/NOTIFY: a job queued by this node already wakes this node's idle
                    // workers (Hangfire.PostgreSql signals them in-process on commit), and every node
                    // both fires and works. Long polling cost a NOTIFY per enqueue and, per fetch, a
                    // second connection that LISTENs and is dropped again — for 1,000 jobs a minute
                    // far more than it saved (decisions §67); another node's workers poll every 1 s.
                    EnableLongPolling = false,
                    // Its transactions join an ambient TransactionScope (the default, relied on):
                    // FireHandler enqueues a burst's jobs 25 to a database transaction (decisions §72).
                    EnableTransactionScopeEnlistment = true,
                });
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
