using DrOrchestrator.Cli.Commands;
using DrOrchestrator.Cli.Console;

// drorch: the command an admin scripts against. The command tree lives in Commands/;
// exit codes and one-line errors in CliErrors (run time) and ParseErrors (the command line).
var parsed = CommandTree.Build().Parse(args);
if (ParseErrors.Failed(parsed))
{
    return ParseErrors.Report(parsed, new CliOutput());
}

if (HelpLabels.IsHelp(parsed))
{
    return HelpLabels.Write(parsed, System.Console.Out);
}

return await parsed.InvokeAsync(ServeCommand.InvocationFor(parsed)).ConfigureAwait(false);
