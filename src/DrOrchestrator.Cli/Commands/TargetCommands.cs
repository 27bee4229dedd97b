using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Targets;

namespace DrOrchestrator.Cli.Commands;

/// <summary>`drorch target init NAME` and `drorch target test NAME`: set a target up, and check it, before the first backup.</summary>
public static class TargetCommands
{
    public static Command Build(CliOutput? output)
    {
        var target = new Command("target", "Set up and check configured targets");
        target.Subcommands.Add(Init(output));
        target.Subcommands.Add(Test(output));
        return target;
    }

    private static Command Init(CliOutput? output)
    {
        var name = new Argument<string>("target") { Description = "Target name from the configuration" };
        var command = new Command("init", "Create the target's bucket, container or folder and its repository (each unless it exists)") { name };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            var outcome = await context.Get<TargetSetupService>().InitAsync(context.ParseResult.GetRequiredValue(name), ct).ConfigureAwait(false);
            context.Output.Line($"target {outcome.Target} ({outcome.Store}): {(outcome.ContainerCreated ? "container created" : "container exists")}, "
                + (outcome.RepositoryCreated ? "repository created" : $"repository exists and the key opens it ({Format.Count(outcome.Snapshots, "snapshot")})"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Test(CliOutput? output)
    {
        var name = new Argument<string>("target") { Description = "Target name from the configuration" };
        var command = new Command("test", "Check a target: reachable, list/put/get/delete allowed, clock in step, the key opens its repository") { name };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            var targetName = context.ParseResult.GetRequiredValue(name);
            var failed = 0;
            var checks = 0;
            await foreach (var check in context.Get<TargetSetupService>().TestAsync(targetName, ct).ConfigureAwait(false))
            {
                checks++;
                failed += check.Passed ? 0 : 1;
                context.Output.Line($"  {(check.Passed ? check.IsWarning ? "note" : "ok" : "FAIL"),-4}  {check.Name}: {check.Detail}");
            }

            if (failed > 0)
            {
                context.Output.Error($"target {targetName}: {failed} of {checks} checks failed{(checks < 6 ? "; later checks were skipped" : "")}");
                return ExitCodes.Failure;
            }

            context.Output.Line($"target {targetName}: every check passed");
            return ExitCodes.Success;
        });
        return command;
    }
}
