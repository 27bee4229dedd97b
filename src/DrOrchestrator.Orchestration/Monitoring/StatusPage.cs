using System.Net;
using System.Text;

namespace DrOrchestrator.Orchestration.Monitoring;

/// <summary>
/// The status page (`drorch serve` at /, `drorch status --html FILE`) and the HTML compliance
/// report: server-rendered HTML with inline SVG charts, one self-contained file, no script.
/// </summary>
public static class StatusPage
{
    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
        table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
        th{background:#f0f0f0}tr.ok td.state{background:#dff0d8}tr.breach td.state{background:#f2dede}
        td.num{text-align:right}.summary{font-weight:bold}figure{margin:0 0 1.5rem}
        """;

    /// <summary>The live status page: objectives table, 7-day exposure chart per policy, drill history.</summary>
    public static string Render(ObjectivesReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new StringBuilder();
        Head(html, "DrOrchestrator status");
        html.Append("<h1>DrOrchestrator — recovery objectives</h1>");
        Summary(html, report);
        ObjectivesTable(html, report.Rows);
        html.Append("<h2>RPO exposure, last 7 days</h2>");
        foreach (var policy in report.Policies)
        {
            Chart(html, policy, report);
        }

        html.Append("<h2>Drill history</h2>");
        DrillTable(html, report.Policies.SelectMany(p => p.Drills).OrderByDescending(d => d.StartedAt));
        html.Append("</body></html>");
        return html.ToString();
    }

    /// <summary>The auditor's report as HTML: per policy its targets, compliance, breaches, drills and chart.</summary>
    public static string RenderReport(ObjectivesReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new StringBuilder();
        Head(html, "DrOrchestrator compliance report");
        html.Append("<h1>Compliance report</h1>");
        html.Append($"<p>Period {E(ObjectivesFormat.Time(report.Since))} to {E(ObjectivesFormat.Time(report.GeneratedAt))}.</p>");
        Summary(html, report);
        foreach (var policy in report.Policies)
        {
            html.Append($"<section class=\"policy\" data-policy=\"{E(policy.Policy)}\"><h2>Policy {E(policy.Policy)}</h2>");
            html.Append($"<p>RPO {E(ObjectivesFormat.Duration(policy.Rpo))}, RTO {E(ObjectivesFormat.Duration(policy.Rto))}.</p>");
            ObjectivesTable(html, policy.Targets);
            html.Append("<h3>Breaches</h3>");
            var breaches = policy.Targets.SelectMany(t => t.Breaches.Select(b => (t.Target, Breach: b))).OrderBy(b => b.Breach.Start).ToList();
            if (breaches.Count == 0)
            {
                html.Append("<p>None in the period.</p>");
            }
            else
            {
                html.Append("<table class=\"breaches\"><thead><tr><th>Target</th><th>Start</th><th>End</th><th>Worst exposure</th></tr></thead><tbody>");
                foreach (var (target, breach) in breaches)
                {
                    html.Append($"<tr><td>{E(target)}</td><td>{E(ObjectivesFormat.Time(breach.Start))}</td><td>{(breach.End is null ? "ongoing" : E(ObjectivesFormat.Time(breach.End)))}</td><td>{E(breach.WorstExposure is null ? "no recovery point" : ObjectivesFormat.Duration(breach.WorstExposure))}</td></tr>");
                }

                html.Append("</tbody></table>");
            }

            html.Append("<h3>Drills</h3>");
            DrillTable(html, policy.Drills);
            Chart(html, policy, report);
            html.Append("</section>");
        }

        html.Append("</body></html>");
        return html.ToString();
    }

    private static void Head(StringBuilder html, string title) =>
        html.Append($"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{E(title)}</title><style>{Style}</style></head><body>");

    private static void Summary(StringBuilder html, ObjectivesReport report)
    {
        var outside = report.Rows.Count(r => !r.WithinObjectives);
        html.Append($"<p class=\"summary\" data-outside=\"{outside}\">Generated {E(ObjectivesFormat.Time(report.GeneratedAt))}: ");
        html.Append(outside == 0 ? "every policy and target is within its objectives." : $"{outside} of {report.Rows.Count()} policy/target pairs are outside their objectives.");
        html.Append("</p>");
    }

    private static void ObjectivesTable(StringBuilder html, IEnumerable<TargetObjectives> rows)
    {
        html.Append("<table class=\"objectives\"><thead><tr><th>Policy</th><th>Target</th><th>State</th><th>RPO target</th><th>Exposure</th><th>Newest recovery point</th>"
            + "<th>24 h</th><th>7 d</th><th>30 d</th><th>Last drill</th><th>RTO achieved</th><th>RTO target</th><th>Worst RTO 30 d</th><th>Predicted RTO</th><th>Copy lag</th></tr></thead><tbody>");
        foreach (var row in rows)
        {
            html.Append($"<tr class=\"objective {(row.WithinObjectives ? "ok" : "breach")}\" data-policy=\"{E(row.Policy)}\" data-target=\"{E(row.Target)}\">");
            Cell(html, row.Policy);
            Cell(html, row.Target);
            html.Append($"<td class=\"state\">{E(ObjectivesFormat.State(row))}</td>");
            Cell(html, ObjectivesFormat.Duration(row.RpoTarget), true);
            Cell(html, ObjectivesFormat.Duration(row.Exposure), true);
            Cell(html, ObjectivesFormat.Time(row.NewestRecoveryPoint));
            Cell(html, ObjectivesFormat.Percent(row.Compliance.Day), true);
            Cell(html, ObjectivesFormat.Percent(row.Compliance.Week), true);
            Cell(html, ObjectivesFormat.Percent(row.Compliance.Month), true);
            Cell(html, ObjectivesFormat.Outcome(row.LastDrill?.Outcome));
            Cell(html, ObjectivesFormat.Duration(row.LastDrill?.RtoAchieved), true);
            Cell(html, ObjectivesFormat.Duration(row.RtoTarget), true);
            Cell(html, ObjectivesFormat.Duration(row.WorstRto), true);
            Cell(html, row.PredictedRto is null ? "unknown" : "~" + ObjectivesFormat.Duration(row.PredictedRto), true);
            Cell(html, row.CopyLag is null ? "-" : ObjectivesFormat.Duration(row.CopyLag), true);
            html.Append("</tr>");
        }

        html.Append("</tbody></table>");
    }

    private static void DrillTable(StringBuilder html, IEnumerable<Catalog.DrillRecord> drills)
    {
        var list = drills.ToList();
        if (list.Count == 0)
        {
            html.Append("<p class=\"drills\">No drills in the period.</p>");
            return;
        }

        html.Append("<table class=\"drills\"><thead><tr><th>Started</th><th>Policy</th><th>Target</th><th>Snapshot</th><th>Result</th><th>Files verified</th><th>Bytes restored</th><th>Mismatches</th><th>RTO achieved</th><th>RTO target</th></tr></thead><tbody>");
        foreach (var drill in list)
        {
            html.Append($"<tr class=\"drill {ObjectivesFormat.Outcome(drill.Outcome)}\">");
            Cell(html, ObjectivesFormat.Time(drill.StartedAt));
            Cell(html, drill.PolicyName ?? "");
            Cell(html, drill.TargetName ?? "");
            Cell(html, drill.SnapshotId[..Math.Min(8, drill.SnapshotId.Length)]);
            Cell(html, ObjectivesFormat.Outcome(drill.Outcome));
            Cell(html, drill.FilesVerified.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), true);
            Cell(html, drill.BytesRestored.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), true);
            Cell(html, drill.Mismatches.ToString(System.Globalization.CultureInfo.InvariantCulture), true);
            Cell(html, ObjectivesFormat.Duration(drill.RtoAchieved), true);
            Cell(html, ObjectivesFormat.Duration(drill.RtoTarget), true);
            html.Append("</tr>");
        }

        html.Append("</tbody></table>");
    }

    private static void Chart(StringBuilder html, PolicyObjectives policy, ObjectivesReport report)
    {
        var from = report.GeneratedAt - ObjectivesService.Week;
        html.Append($"<figure><figcaption>{E(policy.Policy)}: exposure per target; dashed line = RPO target {E(ObjectivesFormat.Duration(policy.Rpo))}</figcaption>");
        html.Append(ExposureChart.Render(policy, from, report.GeneratedAt));
        html.Append("</figure>");
    }

    private static void Cell(StringBuilder html, string text, bool number = false) =>
        html.Append(number ? "<td class=\"num\">" : "<td>").Append(E(text)).Append("</td>");

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
