using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Monitoring;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch status [&lt;policy&gt;] [--json] [--html FILE]`: RPO and RTO per policy and target from the
/// catalog. Exit 0 when every row is within its objectives, 1 otherwise, so monitoring scripts
/// can call it as a check.
/// </summary>
public static class StatusCommand
{
    public static Command Build(CliOutput? output)
    {
        var policy = new Argument<string?>("policy") { Description = "Only this policy", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Machine-readable output (stable fields)" };
        var html = new Option<string?>("--html") { Description = "Also write the status page (HTML with SVG charts) to this file" };
        var command = new Command("status", "RPO exposure, compliance, drills and RTO per policy and target; exit 1 when any is outside its objectives")
        {
            policy, json, html,
        };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
            var report = await context.Get<ObjectivesService>()
                .GetAsync(ObjectivesService.Month, context.ParseResult.GetValue(policy), ct).ConfigureAwait(false);
            if (context.ParseResult.GetValue(html) is { } file)
            {
                await OutputFile.WriteAsync(file, StatusPage.Render(report), ct).ConfigureAwait(false);
            }

            var rows = report.Rows.Select(ObjectiveStatusInfo.From).ToList();
            if (context.ParseResult.GetValue(json))
            {
                context.Output.Line(ContractJson.Serialize(rows));
            }
            else
            {
                Table(context.Output, rows);
            }

            return report.WithinObjectives ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }

    private static void Table(CliOutput output, IReadOnlyList<ObjectiveStatusInfo> rows)
    {
        output.Line($"{"POLICY",-16} {"TARGET",-12} {"STATE",-8} {"RPO",8} {"EXPOSURE",10} {"24H",7} {"7D",7} {"30D",7} {"LAST DRILL",-16} {"RTO",8} {"ACHIEVED",9} {"PREDICTED",10} {"COPY LAG",9}");
        foreach (var row in rows)
        {
            var line = $"{row.Policy,-16} {row.Target,-12} {row.State,-8} {Seconds(row.RpoSeconds),8} {Seconds(row.ExposureSeconds),10} "
                + $"{Percent(row.Compliance24h),7} {Percent(row.Compliance7d),7} {Percent(row.Compliance30d),7} {row.LastDrill,-16} "
                + $"{Seconds(row.RtoSeconds),8} {(row.RtoAchievedSeconds is null ? "-" : Seconds(row.RtoAchievedSeconds)),9} "
                + $"{(row.PredictedRtoSeconds is null ? "-" : "~" + Seconds(row.PredictedRtoSeconds)),10} {(row.CopyLagSeconds is null ? "-" : Seconds(row.CopyLagSeconds)),9}";
            output.Coloured(line, row.WithinObjectives ? "green" : "red");
        }

        var outside = rows.Count(r => !r.WithinObjectives);
        output.Line(outside == 0 ? "all within objectives" : $"{outside} outside objectives");
    }

    private static string Seconds(double? seconds) => ObjectivesFormat.Duration(seconds is { } s ? TimeSpan.FromSeconds(s) : null);

    private static string Percent(double fraction) => (fraction * 100).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "%";
}
