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

    /// <summary>How to invoke the parsed command line: `serve` without the 2-second forced exit on a signal.</summary>
    public static InvocationConfiguration InvocationFor(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return parseResult.CommandResult.Command.Name == Name
            ? new InvocationConfiguration { ProcessTerminationTimeout = null }
            : new InvocationConfiguration();
    }
}
