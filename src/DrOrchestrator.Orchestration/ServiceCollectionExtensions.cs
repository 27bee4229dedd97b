using DrOrchestrator.Catalog;
using DrOrchestrator.Catalog.Configuration;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Check;
using DrOrchestrator.Core.Replication;
using DrOrchestrator.Core.Restore;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Check;
using DrOrchestrator.Orchestration.Policies;
using DrOrchestrator.Orchestration.Quickstart;
using DrOrchestrator.Orchestration.Replication;
using DrOrchestrator.Orchestration.Restore;
using DrOrchestrator.Orchestration.Runs;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DrOrchestrator.Orchestration;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers the use cases shared by the CLI and the server (backup, restore, check, policy
    /// apply, quickstart) plus the catalog and the configured targets. Targets are validated when
    /// the registry is first resolved, i.e. at start-up of any command that touches them.
    /// </summary>
    public static IServiceCollection AddDrOrchestratorOrchestration(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(configuration);
        services.AddDrOrchestratorCatalog(configuration);
        services.TryAddSingleton<TargetRegistry>();
        services.TryAddSingleton<RepositoryAccess>();
        services.TryAddSingleton<Archiver>();
        services.TryAddSingleton<Restorer>();
        services.TryAddSingleton<Checker>();
        services.TryAddSingleton<RepositoryReplicator>();
        services.TryAddScoped<ReplicaCopyService>();
        services.TryAddScoped<PolicyApplyService>();
        services.TryAddScoped<PolicyBackupService>();
        services.TryAddScoped<PolicyRestoreService>();
        services.TryAddScoped<TargetCheckService>();
        services.TryAddScoped<QuickstartRunner>();
        services.TryAddScoped<InterruptedRunReconciler>();
        return services;
    }
}
