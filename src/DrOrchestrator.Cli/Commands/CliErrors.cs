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
    /// <summary>
    /// Most problem lines printed for one failure; the rest are counted in a last "… and N more"
    /// line. Someone fixes a file from the top, and 840,000 lines for a file of unknown keys help nobody.
    /// </summary>
    public const int MaxErrorLines = 20;

    public static int Report(Exception exception, CliOutput output)
    {
        switch (exception)
        {
            case PolicyValidationException invalid:
                ReportLines(invalid.Problems.Select(p => p.ToString()), invalid.Problems.Count, output);
                return ExitCodes.InvalidInput;
            case Microsoft.Extensions.Options.OptionsValidationException invalidOptions:
                ReportLines(invalidOptions.Failures, invalidOptions.Failures.Count(), output);
                return ExitCodes.InvalidInput;
            case OperationCanceledException:
                output.Error("interrupted; no partial snapshot was committed");
                return ExitCodes.Cancelled;
            case ConfigurationException invalidConfiguration:
                ReportLines(invalidConfiguration.Problems, invalidConfiguration.Problems.Count, output);
                return ExitCodes.InvalidInput;
            case PolicyNotFoundException or SnapshotNotFoundException or RestoreRefusedException
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

    private static void ReportLines(IEnumerable<string> lines, int count, CliOutput output)
    {
        foreach (var line in lines.Take(MaxErrorLines))
        {
            output.Error(line);
        }

        if (count > MaxErrorLines)
        {
            output.Error($"… and {count - MaxErrorLines} more");
        }
    }
}
