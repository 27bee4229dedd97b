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

if (parsed.CommandResult.Command.Name == ServeCommand.Name)
{
    // The service's idle thread-pool workers block at once instead of spinning on sched_yield for
    // work: under bursts of fires the spinning was 40-48 % of its CPU samples (docs/decisions.md
    // §72, §76). Not for the other commands: a backup of 100,000 small files took 18 % longer
    // without it. Read when the pool starts its first worker, which has not happened yet here.
    AppContext.SetData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", 0);
}
else
{
    // A short command resolves each service once or twice: the container's reflection resolver
    // answers that in microseconds, while its default engine compiles a resolver with
    // Reflection.Emit for every service asked for twice (JIT work and two more assemblies loaded,
    // docs/decisions.md §68). `serve` resolves per request for days and keeps the compiled ones.
    AppContext.SetSwitch("Microsoft.Extensions.DependencyInjection.DisableDynamicEngine", true);
}

return await parsed.InvokeAsync(ServeCommand.InvocationFor(parsed)).ConfigureAwait(false);
