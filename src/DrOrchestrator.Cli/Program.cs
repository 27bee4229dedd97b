using DrOrchestrator.Cli.Commands;

// drorch: the command an admin scripts against. The command tree lives in Commands/;
// exit codes and one-line errors in CliErrors.
var parsed = CommandTree.Build().Parse(args);
return await parsed.InvokeAsync(ServeCommand.InvocationFor(parsed)).ConfigureAwait(false);
