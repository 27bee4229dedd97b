using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Restore;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Sources;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Policies;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>Which kind of failure: the CLI maps it to its exit code, the API to its status code.</summary>
public enum FailureKind
{
    /// <summary>The operation ran and failed (target unreachable, damaged repository, wrong key…).</summary>
    Failed,

    /// <summary>Invalid input: policy file, configuration, unknown name, refused destination.</summary>
    InvalidInput,

    /// <summary>Interrupted; nothing half-written is visible.</summary>
    Cancelled,
}

/// <summary>
/// An exception as the front doors report it: its kind and one line per problem. Known failures
/// keep their own message (which names the file, field, target or snapshot); anything else is
/// reported with its type so a bug is recognisable, without a stack trace.
/// </summary>
public sealed record OperationFailure(FailureKind Kind, IReadOnlyList<string> Messages)
{
    public static OperationFailure From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return WithSetupHint(exception switch
        {
            PolicyValidationException invalid => new(FailureKind.InvalidInput, [.. invalid.Problems.Select(p => p.ToString())]),
            OptionsValidationException invalidOptions => new(FailureKind.InvalidInput, [.. invalidOptions.Failures]),
            OperationCanceledException => new(FailureKind.Cancelled, ["interrupted; no partial snapshot was committed"]),
            ConfigurationException invalidConfiguration => new(FailureKind.InvalidInput, invalidConfiguration.Problems),
            PolicyNotFoundException or SnapshotNotFoundException or RestoreRefusedException
                or SecretNotFoundException or RepositoryNotFoundException or DatabaseRestoreRefusedException or CatalogRebuild.CatalogNotEmptyException => new(FailureKind.InvalidInput, [exception.Message]),
            RepositoryException or ObjectStoreException or PrimaryTargetsUnavailableException or SourceNotFoundException or SourceFailedException => new(FailureKind.Failed, [exception.Message]),
            // EF Core's retrying strategy wraps a catalog that cannot be reached ("…likely due to a
            // transient failure"); the database's own words say which host and why. Sources wrap their
            // own database errors, so one reaching a front door is the catalog's.
            System.Data.Common.DbException database => new(FailureKind.Failed, [$"catalog database: {database.Message}"]),
            InvalidOperationException { InnerException: System.Data.Common.DbException database } => new(FailureKind.Failed, [$"catalog database: {database.Message}"]),
            _ => new(FailureKind.Failed, [$"{exception.GetType().Name}: {exception.Message}"]),
        });
    }

    /// <summary>The backends' words for a bucket or container that is not there (S3: NoSuchBucket, Azure: ContainerNotFound).</summary>
    private static readonly string[] MissingContainerCodes = ["NoSuchBucket", "ContainerNotFound"];

    /// <summary>A failure caused by a missing bucket or container says how to create it.</summary>
    private static OperationFailure WithSetupHint(OperationFailure failure) =>
        failure.Kind == FailureKind.Failed && failure.Messages.Any(m => MissingContainerCodes.Any(c => m.Contains(c, StringComparison.Ordinal)))
            ? failure with { Messages = [.. failure.Messages.Select(m => MissingContainerCodes.Any(c => m.Contains(c, StringComparison.Ordinal))
                ? m + " (the bucket or container does not exist yet: `drorch target init TARGET` creates it, `drorch target test TARGET` checks access)"
                : m)] }
            : failure;
}
