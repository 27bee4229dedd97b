using DrOrchestrator.Catalog;
using DrOrchestrator.Catalog.Configuration;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Check;
using DrOrchestrator.Core.Prune;
using DrOrchestrator.Core.Configuration;
using DrOrchestrator.Core.Drill;
using DrOrchestrator.Core.Replication;
using DrOrchestrator.Core.Restore;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Check;
using DrOrchestrator.Orchestration.Drill;
using DrOrchestrator.Orchestration.Policies;
using DrOrchestrator.Orchestration.Prune;
using DrOrchestrator.Orchestration.Quickstart;
using DrOrchestrator.Orchestration.Replication;
using DrOrchestrator.Orchestration.Restore;
using DrOrchestrator.Orchestration.Runs;
using DrOrchestrator.Orchestration.Snapshots;
using DrOrchestrator.Orchestration.Targets;
using DrOrchestrator.Sources.MySql;
using DrOrchestrator.Sources.PostgreSql;
using DrOrchestrator.Sources.Sqlite;
using DrOrchestrator.Storage.AzureBlob;
using DrOrchestrator.Storage.Local;
using DrOrchestrator.Storage.S3;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Orchestration;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers the use cases shared by the CLI and the server (backup, restore, snapshots, copy,
    /// check, prune, pool rebalance, policy validate/apply/list, quickstart) plus the catalog and the
    /// configured targets. Targets are validated when the registry is first resolved, i.e. at
    /// start-up of any command that touches them (and by a host's start-up validation).
    /// </summary>
    public static IServiceCollection AddDrOrchestratorOrchestration(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(configuration);
        // The catalog owns its options; relative paths in the file mean "relative to the file".
        services.AddDrOrchestratorCatalog(configuration, ConfigurationFile.BaseDirectory(configuration));
        services.AddDrOrchestratorTargets(configuration);
        services.AddPostgreSqlSource(configuration);
        services.AddMariaDbSource(configuration);
        services.AddSqliteSource();
        services.TryAddSingleton<Archiver>();
        services.TryAddSingleton<Restorer>();
        services.TryAddSingleton<Checker>();
        services.TryAddSingleton<RepositoryReplicator>();
        services.TryAddSingleton<Pruner>();
        services.TryAddScoped<ReplicaCopyService>();
        services.TryAddScoped<PolicyApplyService>();
        services.TryAddScoped<PolicyBackupService>();
        services.TryAddScoped<PolicyRestoreService>();
        services.TryAddScoped<SnapshotListService>();
        services.TryAddScoped<TargetCheckService>();
        services.TryAddScoped<PoolRebalanceService>();
        services.TryAddScoped<PolicyPruneService>();
        services.TryAddScoped<Runbook.RunbookService>();
        services.TryAddScoped<CatalogRebuild.SystemBackupService>();
        services.TryAddScoped<CatalogRebuild.CatalogRebuildService>();
        services.TryAddScoped<TargetSetupService>();
        services.TryAddScoped<QuickstartRunner>();
        services.TryAddScoped<InterruptedRunReconciler>();
        services.TryAddTransient<Monitoring.ObjectivesService>();
        services.AddDrOrchestratorDrills(configuration);
        return services;
    }

    /// <summary>
    /// The drill use case and its <c>Drill</c> options (validated at start-up; a relative
    /// <c>Drill:Root</c> is relative to the configuration file). Database sources add their
    /// <see cref="ISourceDrill"/> beside it.
    /// </summary>
    public static IServiceCollection AddDrOrchestratorDrills(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DrillOptions>()
            .Configure(options =>
            {
                configuration.GetSection(DrillOptions.SectionName).Bind(options);
                options.Root = ConfigurationFile.ResolveOptionalPath(configuration, options.Root) ?? options.Root;
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DrillOptions>, DrillOptionsValidator>());
        services.TryAddSingleton<RestoredFileVerifier>();
        services.TryAddScoped<DrillService>();
        return services;
    }

    /// <summary>
    /// The configured targets: every backend registers itself and validates its own options;
    /// the registry adds pools over them and the retry decorator.
    /// </summary>
    public static IServiceCollection AddDrOrchestratorTargets(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(configuration);
        services.AddLogging();
        services.AddLocalTargets(configuration);
        services.AddS3Targets(configuration);
        services.AddAzureBlobTargets(configuration);
        services.TryAddSingleton<TargetRegistry>();
        services.TryAddSingleton<RepositoryAccess>();
        // For users that may not touch a target at all (`snapshots` from the catalog, `policy list`): building the
        // registry binds and validates every configured target.
        services.TryAddSingleton(sp => new Lazy<TargetRegistry>(sp.GetRequiredService<TargetRegistry>));
        services.TryAddSingleton(sp => new Lazy<RepositoryAccess>(sp.GetRequiredService<RepositoryAccess>));
        return services;
    }

    /// <summary>
    /// Validates the <c>Catalog</c> section, brings the catalog schema up to date and reconciles
    /// runs a killed process left running (<see cref="InterruptedRunReconciler"/>); front doors
    /// call this before the first catalog use.
    /// </summary>
    public static async Task MigrateCatalogAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        Configuration.ConfigurationValidator.ValidateCatalog(services.GetRequiredService<IConfiguration>());
        await services.GetRequiredService<CatalogMigrator>().MigrateAsync(cancellationToken).ConfigureAwait(false);
        await services.GetRequiredService<InterruptedRunReconciler>().ReconcileAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>catalog migrate</c>: validates the <c>Catalog</c> section, applies the pending migrations
    /// (none with <paramref name="checkOnly"/>, which changes nothing) and describes the catalog's
    /// schema afterwards, for the CLI and the API alike.
    /// </summary>
    public static async Task<Contracts.CatalogMigrationInfo> MigrateCatalogSchemaAsync(this IServiceProvider services, bool checkOnly, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        Configuration.ConfigurationValidator.ValidateCatalog(services.GetRequiredService<IConfiguration>());
        var migrator = services.GetRequiredService<CatalogMigrator>();
        var appliedNow = checkOnly ? [] : await migrator.MigrateAsync(cancellationToken).ConfigureAwait(false);
        return Contracts.CatalogMigrationInfo.From(await migrator.GetStateAsync(cancellationToken).ConfigureAwait(false), checkOnly, appliedNow);
    }
}
