using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Drill;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch drill &lt;policy&gt; [--from TARGET] [--snapshot ID | --random-within 30d] [--sample N|P%] [--json]`:
/// restore into a sandbox and verify every file's SHA-256, per target; exit 0 only when every
/// target passed within the RTO.
/// </summary>
public static class DrillCommand
{
    public static Command Build(CliOutput? output)
    {
        var policy = new Argument<string>("policy") { Description = "Policy name" };
        var from = new Option<string?>("--from") { Description = "Drill this target only (default: every target of the policy in turn)" };
        var snapshot = new Option<string?>("--snapshot") { Description = "Snapshot id (or unique prefix); default: the newest on each target" };
        var randomWithin = new Option<string?>("--random-within") { Description = "A random snapshot whose recovery point is at most this old (e.g. 30d)" };
        var sample = new Option<string?>("--sample") { Description = "Restore and verify N files or P% (rolling: every file is verified fully once per Drill:FullVerificationDays)" };
        var json = new Option<bool>("--json") { Description = "Machine-readable results, one object per target" };
        var command = new Command("drill", "Restore a policy into a sandbox from each target, verify every file's SHA-256 and measure the RTO achieved")
        {
            policy, from, snapshot, randomWithin, sample, json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(snapshot) is not null && result.GetValue(randomWithin) is not null)
            {
                result.AddError("--snapshot and --random-within cannot be combined");
            }
        });
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
            var parse = context.ParseResult;
            var request = new DrillRequest(parse.GetRequiredValue(policy))
            {
                FromTarget = parse.GetValue(from),
                SnapshotId = parse.GetValue(snapshot),
                RandomWithin = ParseWindow(parse.GetValue(randomWithin)),
                Sample = ParseSample(parse.GetValue(sample)),
            };
            var drill = context.Get<DrillService>();
            // With --json stdout holds the JSON alone (the plain progress lines would precede it).
            var outcomes = parse.GetValue(json)
                ? await drill.DrillAsync(request, null, ct).ConfigureAwait(false)
                : await context.Output.WithProgressAsync($"drill {request.Policy}", progress => drill.DrillAsync(request, progress, ct)).ConfigureAwait(false);
            var drills = outcomes.Select(DrillInfo.From).ToList();
            var exit = drills.All(d => d.Outcome == "passed") ? ExitCodes.Success : ExitCodes.Failure;
            if (parse.GetValue(json))
            {
                context.Output.Line(ContractJson.Serialize(drills));
                return exit;
            }

            foreach (var d in drills)
            {
                var what = d.FilesExpected < d.FilesInSnapshot ? $"sample of {d.FilesExpected:N0} of {d.FilesInSnapshot:N0} files" : $"{d.FilesExpected:N0} files";
                context.Output.Line($"{d.Target}: {d.Outcome.ToUpperInvariant()}  snapshot {d.SnapshotId?[..Math.Min(8, d.SnapshotId.Length)] ?? "-"}, {what}, {d.FilesVerified:N0} SHA-256 verified, {Format.Bytes(d.BytesRestored)}");
                context.Output.Line($"  RTO achieved {Format.Duration(TimeSpan.FromSeconds(d.RtoAchievedSeconds))} (restore {Format.Duration(TimeSpan.FromSeconds(d.RestoreSeconds))}, verify {Format.Duration(TimeSpan.FromSeconds(d.VerifySeconds))}), target {Format.Duration(TimeSpan.FromSeconds(d.RtoTargetSeconds))}");
                foreach (var m in d.Mismatches)
                {
                    context.Output.Error($"{d.Target}: mismatch: {(m.Path.Length == 0 ? "" : m.Path + ": ")}{m.Reason}{(m.Expected is null ? "" : $" (expected {m.Expected}, got {m.Actual ?? "nothing"})")}");
                }
            }

            var bad = drills.Where(d => d.Outcome != "passed").ToList();
            if (bad.Count > 0)
            {
                context.Output.Error($"drill of {request.Policy}: {string.Join(", ", bad.Select(d => $"{d.Target} {d.Outcome}"))}");
            }

            return exit;
        });
        return command;
    }

    private static TimeSpan? ParseWindow(string? text) =>
        text is null ? null
        : DrillRequest.TryParseWindow(text) ?? throw new ConfigurationException($"--random-within: '{text}' is not a duration (e.g. 30d, 12h)");

    private static DrillSample? ParseSample(string? text) =>
        text is null ? null
        : DrillSample.TryParse(text) ?? throw new ConfigurationException($"--sample: '{text}' is not a file count or a percentage (e.g. 200 or 5%)");
}
