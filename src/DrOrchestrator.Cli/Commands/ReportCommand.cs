using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Monitoring;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch report [--since 30d] [--format md|html] [--output FILE]`: the auditor's compliance
/// report per policy (targets, compliance, breaches, drills with achieved RTO, exposure chart).
/// </summary>
public static class ReportCommand
{
    public static Command Build(CliOutput? output)
    {
        var since = new Option<string>("--since") { Description = "Period the report covers, back from now (e.g. 30d, 7d, 12h)", DefaultValueFactory = _ => "30d" };
        var format = new Option<string>("--format") { Description = "md or html", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "html");
        var file = new Option<string?>("--output", "-o") { Description = "Write the report to this file instead of stdout" };
        var policy = new Argument<string?>("policy") { Description = "Only this policy", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("report", "Compliance report for auditors: per policy, RPO compliance, breaches and drills over a period") { policy, since, format, file };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            var text = context.ParseResult.GetValue(since)!;
            if (!ObjectivesService.TryParsePeriod(text, out var period))
            {
                context.Output.Error($"--since: '{text}' is not a duration such as 30d, 7d or 12h");
                return ExitCodes.InvalidInput;
            }

            await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
            var report = await context.Get<ObjectivesService>().GetAsync(period, context.ParseResult.GetValue(policy), ct).ConfigureAwait(false);
            var rendered = context.ParseResult.GetValue(format) == "html" ? StatusPage.RenderReport(report) : ComplianceReport.Markdown(report);
            if (context.ParseResult.GetValue(file) is { } path)
            {
                await OutputFile.WriteAsync(path, rendered, ct).ConfigureAwait(false);
            }
            else
            {
                context.Output.Line(rendered);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
