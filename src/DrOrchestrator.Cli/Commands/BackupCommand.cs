using System.CommandLine;
using DrOrchestrator.Cli.Commands.Remote;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Contracts;

namespace DrOrchestrator.Cli.Commands;

/// <summary>`drorch backup &lt;policy&gt;`: one run now, recorded in the catalog.</summary>
public static class BackupCommand
{
    /// <summary>The snapshot was committed but some files could not be read (restic uses the same code).</summary>
    public const int IncompleteSnapshot = 3;

    public static Command Build(CliOutput? output)
    {
        var policy = new Argument<string>("policy") { Description = "Policy name (as applied)" };
        var json = new Option<bool>("--json") { Description = "Machine-readable summary" };
        var noCopy = new Option<bool>("--no-copy") { Description = "Do not copy to replica targets after the backup (run `drorch copy` later)" };
        var command = new Command("backup", "Back up a policy's sources to its primary targets now, then copy to its replicas") { policy, json, noCopy };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
            var service = context.Get<PolicyBackupService>();
            var name = context.ParseResult.GetRequiredValue(policy);
            var run = await context.Output.WithProgressAsync($"backup {name}", progress =>
                service.RunAsync(name, copyAfterBackup: !context.ParseResult.GetValue(noCopy), progress, ct)).ConfigureAwait(false);

            foreach (var warning in run.Warnings)
            {
                context.Output.Warning(warning.ToString());
            }

            foreach (var error in run.Errors)
            {
                context.Output.Error(error.ToString());
            }

            foreach (var missing in run.MissingPrimaries)
            {
                context.Output.Warning($"primary target {missing}; the snapshot is not there yet (degraded run, catch-up copy attempted)");
            }

            foreach (var (target, skipped) in run.Copies.SelectMany(c => c.Skipped.Select(s => (c.Target, s))))
            {
                context.Output.Warning($"copy to {target}: {skipped}");
            }

            foreach (var copy in run.Copies.Where(c => !c.Succeeded))
            {
                context.Output.Warning($"copy to {copy.Target} failed: {copy.Error}; its lag grows until `drorch copy {name}` succeeds");
            }

            if (context.ParseResult.GetValue(json))
            {
                context.Output.Line(ContractJson.Serialize(run));
            }
            else
            {
                PrintSummary(context.Output, run);
            }

            return run.IsIncomplete ? IncompleteSnapshot : ExitCodes.Success;
        }, (context, client, ct) => RemoteCommands.BackupAsync(context.Output, client, context.ParseResult.GetRequiredValue(policy), context.ParseResult.GetValue(json), ct));
        return command;
    }

    private static void PrintSummary(CliOutput output, BackupRunInfo run)
    {
        foreach (var s in run.Snapshots)
        {
            output.Line($"snapshot {s.ShortId} saved on {string.Join(", ", run.SavedOn.Count > 0 ? run.SavedOn : [run.Target])} (policy {run.Policy})");
            output.Line($"  files: {s.FilesNew:N0} new, {s.FilesChanged:N0} changed, {s.FilesUnmodified:N0} unmodified; {Format.Count(s.Directories, "dir")}");
            output.Line($"  data:  {Format.Bytes(s.TotalBytes)} in snapshot, {Format.Bytes(s.BytesRead)} read, {Format.Bytes(s.BytesNew)} new, {Format.Bytes(s.BytesStored)} stored");
        }

        // The same two figures the catalog records for the run (WarningsCount, RunErrors) and --json lists.
        var warnings = run.Warnings.Count;
        var errors = run.Errors.Count;
        if (warnings + errors > 0)
        {
            output.Line($"  issues: {warnings:N0} {(warnings == 1 ? "warning" : "warnings")}, {errors:N0} {(errors == 1 ? "error" : "errors")} (listed above; errors are not in the snapshot)");
        }

        output.Line($"  time:  {Format.Duration(run.Elapsed)} ({Format.Rate(run.BytesRead, run.Elapsed)} read)");
        foreach (var copy in run.Copies.Where(c => c.Succeeded))
        {
            output.Line($"  copy:  {copy.Target}: {Format.Count(copy.PacksCopied, "pack")}, {Format.Bytes(copy.BytesCopied)}, {Format.Count(copy.SnapshotsCopied.Count, "snapshot")}");
        }
    }
}
