using DrOrchestrator.Cli.Commands;

// drorch: the command an admin scripts against. The command tree lives in Commands/;
// exit codes and one-line errors in CliErrors.
return await CommandTree.Build().Parse(args).InvokeAsync().ConfigureAwait(false);
