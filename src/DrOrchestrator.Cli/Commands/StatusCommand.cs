using System.CommandLine;
using DrOrchestrator.Cli.Commands.Remote;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Monitoring;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch status [&lt;policy&gt;] [--json] [--html FILE]`: RPO and RTO per policy and target from the
/// catalog. Exit 0 when every row is within its objectives, 1 otherwise, so monitoring scripts
/// can call it as a check. With <c>--server</c> the service computes the rows from its catalog
/// (<c>GET /api/objectives</c>) and the output is the same.
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
        CommandTree.SetAction(
            command,
            output,
            async (context, ct) =>
            {
                await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
                var report = await context.Get<ObjectivesService>()
                    .GetAsync(ObjectivesService.Month, context.ParseResult.GetValue(policy), ct).ConfigureAwait(false);
                if (context.ParseResult.GetValue(html) is { } file)
                {
                    await OutputFile.WriteAsync(file, StatusPage.Render(report), ct).ConfigureAwait(false);
                }

                return Print(context.Output, [.. report.Rows.Select(ObjectiveStatusInfo.From)], context.ParseResult.GetValue(json));
            },
            async (context, client, ct) =>
            {
                var name = context.ParseResult.GetValue(policy);
                var rows = await RemoteCommands.ObjectivesAsync(client, name, ct).ConfigureAwait(false);
                if (context.ParseResult.GetValue(html) is { } file)
                {
                    await OutputFile.WriteAsync(file, await RemoteCommands.ObjectivesPageAsync(client, name, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
                }

                return Print(context.Output, rows, context.ParseResult.GetValue(json));
            });
        return command;
    }

    /// <summary>The rows as a table or JSON; exit 0 when every row is within its objectives, else 1.</summary>
    private static int Print(CliOutput output, IReadOnlyList<ObjectiveStatusInfo> rows, bool asJson)
    {
        if (asJson)
        {
            output.Line(ContractJson.Serialize(rows));
        }
        else
        {
            Table(output, rows);
        }

        return rows.All(r => r.WithinObjectives) ? ExitCodes.Success : ExitCodes.Failure;
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
