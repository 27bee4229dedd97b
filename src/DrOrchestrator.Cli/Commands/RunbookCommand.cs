using System.CommandLine;
using System.Text;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Runbook;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch runbook &lt;policy&gt; [--format md|json] [--from TARGET]`: the incident page of a policy.
/// With --from it needs only the configuration's target and key, not the catalog.
/// </summary>
public static class RunbookCommand
{
    public static Command Build(CliOutput? output)
    {
        var policy = new Argument<string>("policy") { Description = "Policy name" };
        var format = new Option<string>("--format") { Description = "md (default) or json", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "json");
        var from = new Option<string?>("--from") { Description = "Build it from this target's repository, without the catalog" };
        var command = new Command("runbook", "Print the incident page of a policy: targets, keys, environment, restore commands") { policy, format, from };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            var fromTarget = context.ParseResult.GetValue(from);
            if (fromTarget is null)
            {
                await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
            }

            var runbook = await context.Get<RunbookService>().BuildAsync(context.ParseResult.GetRequiredValue(policy), fromTarget, ct).ConfigureAwait(false);
            context.Output.Line(context.ParseResult.GetValue(format) == "json" ? ContractJson.Serialize(runbook) : Markdown(runbook));
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Markdown(RunbookInfo r)
    {
        var md = new StringBuilder();
        md.AppendLine($"# Runbook: policy {r.Policy}").AppendLine()
            .AppendLine($"Generated {Format.Time(r.GeneratedAt)} from the {r.Source}. Configuration file: `{r.ConfigurationFile ?? "(none)"}`.").AppendLine()
            .AppendLine("## Targets").AppendLine()
            .AppendLine("| target | role | type | where | repository key |").AppendLine("|---|---|---|---|---|");
        foreach (var t in r.Targets)
        {
            md.AppendLine($"| {t.Name} | {t.Role ?? "?"} | {t.Type} | {t.Location} | {t.Key} |");
        }

        md.AppendLine().AppendLine("## Environment").AppendLine()
            .AppendLine(r.EnvironmentVariables.Count == 0 ? "No environment variable is needed." : "Set these before running drorch (values from your secrets store):")
            .AppendLine();
        foreach (var variable in r.EnvironmentVariables)
        {
            md.AppendLine($"- `{variable}`");
        }

        md.AppendLine().AppendLine("## Restore the newest snapshot").AppendLine();
        foreach (var t in r.Targets)
        {
            md.AppendLine(t.RestoreCommand is null
                ? $"- **{t.Name}**: holds no snapshot of {r.Policy}."
                : $"- **{t.Name}**: snapshot {t.NewestSnapshot![..8]}, recovery point {Format.Time(t.NewestRecoveryPoint!.Value)}, {Format.Bytes(t.NewestBytes ?? 0)}; predicted restore time: {t.PredictedRestore}.")
              .AppendLine();
            if (t.RestoreCommand is not null)
            {
                md.AppendLine("  ```sh").AppendLine($"  {t.RestoreCommand}").AppendLine("  ```").AppendLine();
            }
        }

        md.AppendLine("## If the catalog is lost").AppendLine()
            .AppendLine("Restores never need the catalog. On any machine with a configuration holding the `Targets` and `RepositoryKey` sections:").AppendLine()
            .AppendLine("```sh")
            .AppendLine($"drorch snapshots {r.Policy} --from TARGET          # what the repository holds")
            .AppendLine($"drorch restore {r.Policy} --from TARGET --to DIR   # the newest; --snapshot ID or --at TIME for another")
            .AppendLine($"drorch runbook {r.Policy} --from TARGET            # this page, from the repository alone")
            .AppendLine("drorch catalog rebuild --from TARGET           # a new, empty catalog: policies, snapshots, runs and drills back")
            .AppendLine("```").AppendLine();
        if (r.Notes.Count > 0)
        {
            md.AppendLine("## Notes").AppendLine();
            foreach (var note in r.Notes)
            {
                md.AppendLine($"- {note}");
            }
        }

        return md.ToString().TrimEnd();
    }
}
