using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Core.Check;
using DrOrchestrator.Orchestration.Check;

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
            var counts = new Dictionary<CheckSeverity, int>();
            await foreach (var finding in context.Get<TargetCheckService>().CheckAsync(name, context.ParseResult.GetValue(readData), ct).ConfigureAwait(false))
            {
                counts[finding.Severity] = counts.GetValueOrDefault(finding.Severity) + 1;
                context.Output.Line(asJson ? CliJson.Serialize(CliJson.Finding(finding)) : finding.ToString());
            }

            var errors = counts.GetValueOrDefault(CheckSeverity.Error);
            var summary = $"check of {name}: {errors} errors, {counts.GetValueOrDefault(CheckSeverity.Warning)} warnings, {counts.GetValueOrDefault(CheckSeverity.Info)} notes";
            context.Output.Line(asJson ? CliJson.Serialize(new { target = name, errors, warnings = counts.GetValueOrDefault(CheckSeverity.Warning), notes = counts.GetValueOrDefault(CheckSeverity.Info) }) : summary);
            if (errors > 0)
            {
                context.Output.Error($"{summary} — the repository on {name} is damaged");
                return ExitCodes.Failure;
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
