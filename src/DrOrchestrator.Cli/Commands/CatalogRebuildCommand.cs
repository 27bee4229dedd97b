using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.CatalogRebuild;
using DrOrchestrator.Orchestration.Contracts;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch catalog rebuild --from TARGET [--write-config PATH [--force]] [--json]`: fills an empty catalog from the target's newest
/// system record and its snapshots, and says what happened after the record (docs/decisions.md §58).
/// `drorch catalog backup [--target T] [--json]`: writes a system record now.
/// </summary>
public static class CatalogRebuildCommand
{
    public static Command Build(CliOutput? output)
    {
        var from = new Option<string>("--from") { Description = "The target whose repository the catalog is rebuilt from", Required = true };
        var json = new Option<bool>("--json") { Description = "Machine-readable output (stable fields)" };
        var writeConfig = new Option<string?>("--write-config")
        {
            Description = "Also write the configuration the record holds (secret references only) to this appsettings.json",
        };
        var force = new Option<bool>("--force") { Description = "Let --write-config replace an existing file" };
        var command = new Command("rebuild", "Rebuild a lost catalog (policies, snapshots, runs, drills) from one target's repository") { from, writeConfig, force, json };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
            var result = await context.Get<CatalogRebuildService>().RebuildAsync(
                context.ParseResult.GetRequiredValue(from), context.ParseResult.GetValue(writeConfig), context.ParseResult.GetValue(force), ct).ConfigureAwait(false);
            if (context.ParseResult.GetValue(json))
            {
                context.Output.Line(ContractJson.Serialize(result));
            }
            else
            {
                Print(context.Output, result);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    public static Command BuildBackup(CliOutput? output)
    {
        var target = new Option<string?>("--target") { Description = "Only this target (default: every target of every policy)" };
        var json = new Option<bool>("--json") { Description = "Machine-readable output (stable fields)" };
        var command = new Command("backup", "Write the orchestrator's own backup (policies, configuration without secrets, catalog history) to the targets now") { target, json };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
            var only = context.ParseResult.GetValue(target);
            var result = await context.Get<SystemBackupService>().WriteAsync(only is null ? null : [only], onlyIfDue: false, ct).ConfigureAwait(false);
            if (context.ParseResult.GetValue(json))
            {
                context.Output.Line(ContractJson.Serialize(result));
            }
            else
            {
                foreach (var t in result.Targets)
                {
                    context.Output.Line(t.SnapshotId is { } id
                        ? $"{t.Target}: system record {id[..8]}, {Format.Bytes(t.Bytes)} ({Format.Bytes(t.BytesNew)} new)"
                        : $"{t.Target}: {t.Skipped ?? "failed"}");
                }
            }

            var failed = result.Targets.Where(t => t.Error is not null).ToList();
            foreach (var f in failed)
            {
                context.Output.Error($"system record not written to {f.Target}: {f.Error}");
            }

            return failed.Count > 0 ? ExitCodes.Failure : ExitCodes.Success;
        });
        return command;
    }

    private static void Print(CliOutput output, CatalogRebuildInfo r)
    {
        output.Line(r.RecordSnapshotId is { } id
            ? $"rebuilt from {r.Target}: system record {id[..8]} of {Format.Time(r.RecordedAt!.Value)} (host {r.RecordedOnHost})"
            : $"rebuilt from {r.Target}: no system record, snapshots only");
        output.Line($"  from the record: {r.Policies} policies, {r.Snapshots} snapshots, {r.Runs} runs, {r.Drills} drills, {r.PolicyChanges} policy changes");
        output.Line($"after the record: {r.AddedFromRepository.Count} snapshots added from the repository, {r.PresentSinceRecord.Count} newly present on {r.Target}, {r.GoneSinceRecord.Count} no longer there");
        foreach (var s in r.AddedFromRepository)
        {
            output.Line($"  added    {s.Id[..8]}  {s.Policy}  {Format.Time(s.Time)}");
        }

        foreach (var s in r.PresentSinceRecord)
        {
            output.Line($"  present  {s.Id[..8]}  {s.Policy}  {Format.Time(s.Time)}");
        }

        foreach (var s in r.GoneSinceRecord)
        {
            output.Line($"  gone     {s.Id[..8]}  {s.Policy}  {Format.Time(s.Time)}");
        }

        if (r.RecordSnapshotId is not null)
        {
            output.Line("runs and drills after the record are not known (their snapshots are); presence on other targets is as of the record: `drorch copy <policy>` brings it up to date");
        }

        if (r.ConfigurationWrittenTo is { } path)
        {
            output.Line($"configuration written to {path} ({r.ConfigurationSettings} settings; secrets are references: provide the environment variables and key files they name)");
        }

        foreach (var note in r.Notes)
        {
            output.Warning(note);
        }
    }
}
