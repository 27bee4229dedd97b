using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Contracts;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// Turns an exception into the one-line reasons and exit code of the CLI contract; which failure
/// is which (and its wording) is decided once for both front doors by <see cref="OperationFailure"/>.
/// </summary>
public static class CliErrors
{
    /// <summary>
    /// Most problem lines printed for one failure; the rest are counted in a last "… and N more"
    /// line. Someone fixes a file from the top, and 840,000 lines for a file of unknown keys help nobody.
    /// </summary>
    public const int MaxErrorLines = 20;

    public static int Report(Exception exception, CliOutput output, bool verbose = false)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(output);
        var failure = OperationFailure.From(exception);
        foreach (var message in failure.Messages.Take(MaxErrorLines))
        {
            output.Error(message);
        }

        if (failure.Messages.Count > MaxErrorLines)
        {
            output.Error($"… and {failure.Messages.Count - MaxErrorLines} more");
        }

        if (verbose)
        {
            output.Detail(exception.ToString());
        }

        return failure.Kind switch
        {
            FailureKind.InvalidInput => ExitCodes.InvalidInput,
            FailureKind.Cancelled => ExitCodes.Cancelled,
            _ => ExitCodes.Failure,
        };
    }
}
