using System.CommandLine;
using DrOrchestrator.Catalog;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Orchestration.Backup;

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
            var outcome = await context.Output.WithProgressAsync($"backup {name}", progress =>
                service.BackupAsync(name, new BackupRunOptions(CopyAfterBackup: !context.ParseResult.GetValue(noCopy)), new ProgressAdapter<BackupProgress>(progress, p => new ProgressReport(p.FilesDone, p.BytesDone, p.TotalBytes)), ct)).ConfigureAwait(false);

            foreach (var warning in outcome.Warnings)
            {
                context.Output.Warning(warning.ToString());
            }

            foreach (var error in outcome.Errors)
            {
                context.Output.Error(error.ToString());
            }

            foreach (var missing in outcome.MissingPrimaries)
            {
                context.Output.Warning($"primary target {missing}; the snapshot is not there yet (degraded run, catch-up copy attempted)");
            }

            foreach (var copy in outcome.Copies.Where(c => !c.Succeeded))
            {
                context.Output.Warning($"copy to {copy.Target} failed: {copy.Error}; its lag grows until `drorch copy {name}` succeeds");
            }

            if (context.ParseResult.GetValue(json))
            {
                context.Output.Line(CliJson.Serialize(CliJson.Backup(outcome)));
            }
            else
            {
                PrintSummary(context.Output, outcome);
            }

            return outcome.Errors.Any() ? IncompleteSnapshot : ExitCodes.Success;
        });
        return command;
    }

    private static void PrintSummary(CliOutput output, PolicyBackupOutcome outcome)
    {
        foreach (var result in outcome.Results)
        {
            var s = result.Snapshot.Summary;
            output.Line($"snapshot {result.Snapshot.ShortId} saved on {outcome.Target} (policy {outcome.Policy.Name})");
            output.Line($"  files: {s.FilesNew:N0} new, {s.FilesChanged:N0} changed, {s.FilesUnmodified:N0} unmodified; {s.Directories:N0} dirs");
            output.Line($"  data:  {Format.Bytes(s.TotalBytes)} in snapshot, {Format.Bytes(s.BytesRead)} read, {Format.Bytes(s.BytesNew)} new, {Format.Bytes(s.BytesStored)} stored");
        }

        output.Line($"  time:  {Format.Duration(outcome.Elapsed)} ({Format.Rate(outcome.BytesRead, outcome.Elapsed)} read)");
        foreach (var copy in outcome.Copies.Where(c => c.Succeeded && c.Report is not null))
        {
            output.Line($"  copy:  {copy.Target}: {copy.Report!.PacksCopied} packs, {Format.Bytes(copy.Report.BytesCopied)}, {copy.Report.SnapshotsCopied.Count} snapshots");
        }
    }
}

/// <summary>Maps the engine's progress type to the CLI's display type.</summary>
internal sealed class ProgressAdapter<T>(IProgress<ProgressReport> inner, Func<T, ProgressReport> map) : IProgress<T>
{
    public void Report(T value) => inner.Report(map(value));
}
