using System.Text;

namespace DrOrchestrator.Orchestration.Monitoring;

/// <summary>`drorch report --format md`: the auditor's compliance report as Markdown (the charts inline as SVG).</summary>
public static class ComplianceReport
{
    public static string Markdown(ObjectivesReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        md.AppendLine("# Compliance report").AppendLine();
        md.AppendLine($"Period {ObjectivesFormat.Time(report.Since)} to {ObjectivesFormat.Time(report.GeneratedAt)}. "
            + (report.WithinObjectives ? "Every policy and target is within its objectives now." : $"{report.Rows.Count(r => !r.WithinObjectives)} policy/target pairs are outside their objectives now."))
            .AppendLine();
        foreach (var policy in report.Policies)
        {
            md.AppendLine($"## Policy {policy.Policy}").AppendLine();
            md.AppendLine($"RPO {ObjectivesFormat.Duration(policy.Rpo)}, RTO {ObjectivesFormat.Duration(policy.Rto)}.").AppendLine();
            md.AppendLine("| Target | Role | State | Exposure | Compliance 24 h | 7 d | 30 d | Breaches | Last drill | RTO achieved | Worst RTO 30 d | Predicted RTO |");
            md.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|");
            foreach (var t in policy.Targets)
            {
                md.AppendLine($"| {t.Target} | {t.Role.ToString().ToLowerInvariant()} | {ObjectivesFormat.State(t)} | {ObjectivesFormat.Duration(t.Exposure)} | {ObjectivesFormat.Percent(t.Compliance.Day)} | {ObjectivesFormat.Percent(t.Compliance.Week)} | {ObjectivesFormat.Percent(t.Compliance.Month)} | {t.Breaches.Count} | {ObjectivesFormat.Outcome(t.LastDrill?.Outcome)} | {ObjectivesFormat.Duration(t.LastDrill?.RtoAchieved)} | {ObjectivesFormat.Duration(t.WorstRto)} | {(t.PredictedRto is null ? "unknown" : "~" + ObjectivesFormat.Duration(t.PredictedRto))} |");
            }

            md.AppendLine().AppendLine("### Breaches").AppendLine();
            var breaches = policy.Targets.SelectMany(t => t.Breaches.Select(b => (t.Target, Breach: b))).OrderBy(b => b.Breach.Start).ToList();
            if (breaches.Count == 0)
            {
                md.AppendLine("None in the period.");
            }
            else
            {
                md.AppendLine("| Target | Start | End | Worst exposure |").AppendLine("|---|---|---|---:|");
                foreach (var (target, b) in breaches)
                {
                    md.AppendLine($"| {target} | {ObjectivesFormat.Time(b.Start)} | {(b.End is null ? "ongoing" : ObjectivesFormat.Time(b.End))} | {(b.WorstExposure is null ? "no recovery point" : ObjectivesFormat.Duration(b.WorstExposure))} |");
                }
            }

            md.AppendLine().AppendLine("### Drills").AppendLine();
            if (policy.Drills.Count == 0)
            {
                md.AppendLine("No drills in the period.");
            }
            else
            {
                md.AppendLine("| Started | Target | Snapshot | Result | Files verified | Mismatches | RTO achieved | RTO target |").AppendLine("|---|---|---|---|---:|---:|---:|---:|");
                foreach (var d in policy.Drills)
                {
                    md.AppendLine($"| {ObjectivesFormat.Time(d.StartedAt)} | {d.TargetName} | {d.SnapshotId[..Math.Min(8, d.SnapshotId.Length)]} | {ObjectivesFormat.Outcome(d.Outcome)} | {d.FilesVerified} | {d.Mismatches} | {ObjectivesFormat.Duration(d.RtoAchieved)} | {ObjectivesFormat.Duration(d.RtoTarget)} |");
                }
            }

            md.AppendLine().AppendLine("### RPO exposure, last 7 days").AppendLine();
            md.AppendLine(ExposureChart.Render(policy, report.GeneratedAt - ObjectivesService.Week, report.GeneratedAt)).AppendLine();
        }

        return md.ToString();
    }
}
