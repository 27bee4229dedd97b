using DrOrchestrator.Cli.Console;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Restore;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Policies;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// Turns an exception into the one-line reason and exit code of the CLI contract. Known failures
/// print their own message (which names the file, field, target or snapshot); anything else is
/// reported with its type so a bug is recognisable, without a stack trace on the console.
/// </summary>
public static class CliErrors
{
    public static int Report(Exception exception, CliOutput output)
    {
        switch (exception)
        {
            case PolicyValidationException invalid:
                foreach (var problem in invalid.Problems)
                {
                    output.Error(problem.ToString());
                }

                return ExitCodes.InvalidInput;
            case Microsoft.Extensions.Options.OptionsValidationException invalidOptions:
                foreach (var failure in invalidOptions.Failures)
                {
                    output.Error(failure);
                }

                return ExitCodes.InvalidInput;
            case OperationCanceledException:
                output.Error("interrupted; no partial snapshot was committed");
                return ExitCodes.Cancelled;
            case ConfigurationException or PolicyNotFoundException or SnapshotNotFoundException or RestoreRefusedException
                or SecretNotFoundException or RepositoryNotFoundException:
                output.Error(exception.Message);
                return ExitCodes.InvalidInput;
            case RepositoryException or ObjectStoreException or PrimaryTargetsUnavailableException:
                output.Error(exception.Message);
                return ExitCodes.Failure;
            default:
                output.Error($"{exception.GetType().Name}: {exception.Message}");
                return ExitCodes.Failure;
        }
    }
}
