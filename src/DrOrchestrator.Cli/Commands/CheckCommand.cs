using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Check;
using DrOrchestrator.Orchestration.Contracts;

namespace DrOrchestrator.Cli.Commands;

/// <summary>`drorch check &lt;target&gt; [--read-data]`: exit 1 when any error is found.</summary>
public static class CheckCommand
{
    public static Command Build(CliOutput? output)
    {
        var target = new Argument<string>("target") { Description = "Target name from the configuration" };
        var readData = new Option<bool>("--read-data") { Description = "Download every pack, decrypt and re-hash every chunk" };
        var json = new Option<bool>("--json") { Description = "One JSON object per finding, then a summary object" };
        var command = new Command("check", "Verify a target's repository: structure, and with --read-data every byte") { target, readData, json };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            var name = context.ParseResult.GetRequiredValue(target);
            var asJson = context.ParseResult.GetValue(json);
            var tally = new CheckTally(name);
            await foreach (var finding in context.Get<TargetCheckService>().CheckFindingsAsync(name, context.ParseResult.GetValue(readData), ct).ConfigureAwait(false))
            {
                tally.Add(finding);
                context.Output.Line(asJson ? ContractJson.Serialize(finding) : finding.Text);
            }

            var summary = tally.Summary;
            context.Output.Line(asJson ? ContractJson.Serialize(summary) : summary.ToString());
            if (summary.Errors > 0)
            {
                context.Output.Error($"{summary} — the repository on {name} is damaged");
                return ExitCodes.Failure;
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
