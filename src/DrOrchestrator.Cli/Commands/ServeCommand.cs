using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Server;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch serve`: the long-running service (scheduled backups, the work queue, the REST API).
/// It handles SIGTERM/SIGINT itself — running backups get their grace before they are cancelled
/// cleanly — so the command line's own short termination timeout is switched off for it.
/// </summary>
public static class ServeCommand
{
    public const string Name = "serve";

    public static Command Build(CliOutput? output)
    {
        var command = new Command(Name, "Run the service: policy schedules (Quartz), the work queue (Hangfire), the REST API and /hangfire");
        CommandTree.SetAction(command, output, (context, ct) => ServerHost.RunAsync(context.Configuration, context.Output.Error, ct));
        return command;
    }

    /// <summary>
    /// How long another command may take to wind down after Ctrl-C/SIGTERM before the process is
    /// ended anyway (System.CommandLine's default is 2 s): an interrupted backup indexes the packs it
    /// already stored, so the next run reuses them, and that must not be cut off on a busy host.
    /// </summary>
    public static readonly TimeSpan CommandWindDown = TimeSpan.FromSeconds(10);

    /// <summary>How to invoke the parsed command line: `serve` without a forced exit on a signal, others after <see cref="CommandWindDown"/>.</summary>
    public static InvocationConfiguration InvocationFor(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return parseResult.CommandResult.Command.Name == Name
            ? new InvocationConfiguration { ProcessTerminationTimeout = null }
            : new InvocationConfiguration { ProcessTerminationTimeout = CommandWindDown };
    }
}
