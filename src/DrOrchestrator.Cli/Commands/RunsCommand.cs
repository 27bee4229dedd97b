using System.CommandLine;
using DrOrchestrator.Cli.Commands.Remote;
using DrOrchestrator.Cli.Console;

namespace DrOrchestrator.Cli.Commands;

/// <summary>`drorch --server URL runs [&lt;policy&gt;] [--limit N] [--json]`: a service's runs, newest first.</summary>
public static class RunsCommand
{
    public static Command Build(CliOutput? output)
    {
        var policy = new Argument<string?>("policy") { Description = "Only this policy's runs", Arity = ArgumentArity.ZeroOrOne };
        var limit = new Option<int>("--limit") { Description = "At most this many runs (1–1000)", DefaultValueFactory = _ => 50 };
        var json = new Option<bool>("--json") { Description = "Machine-readable output (the API's fields)" };
        var command = new Command("runs", "List a service's runs (with --server URL)") { policy, limit, json };
        CommandTree.SetAction(
            command,
            output,
            (_, _) => throw new ServiceRequestException(["runs: lists the runs of a service; give --server URL"], ExitCodes.InvalidInput),
            (context, client, ct) => RemoteCommands.RunsAsync(
                context.Output, client, context.ParseResult.GetValue(policy), context.ParseResult.GetValue(limit), context.ParseResult.GetValue(json), ct));
        return command;
    }
}
