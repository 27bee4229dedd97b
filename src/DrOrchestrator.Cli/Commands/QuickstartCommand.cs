using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Quickstart;
using DrOrchestrator.Orchestration.Targets;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch quickstart`: the embedded-default tour (SQLite catalog, local target, no service).
/// Creates a repository key file on first use when the configuration names one that is missing.
/// </summary>
public static class QuickstartCommand
{
    public static Command Build(CliOutput? output)
    {
        var target = new Option<string>("--target") { Description = "Target to use", DefaultValueFactory = _ => "local" };
        var size = new Option<int>("--sample-size") { Description = "Sample data size in MiB", DefaultValueFactory = _ => 64 };
        var command = new Command("quickstart", "Back up sample data twice, restore it and verify every checksum (no server needed)") { target, size };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            Action<string> say = text => context.Output.Line(text);
            var targetName = context.ParseResult.GetRequiredValue(target);
            context.CreateCatalogFolder();
            EnsureKeyFile(context, targetName, say);
            await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
            var report = await context.Get<QuickstartRunner>().RunAsync(targetName, context.ParseResult.GetValue(size), say, ct).ConfigureAwait(false);
            Print(context.Output, report);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void EnsureKeyFile(CommandContext context, string target, Action<string> say)
    {
        var reference = context.Get<RepositoryAccess>().KeyReferenceFor(target);
        if (reference.EnvironmentVariable is null && reference.FilePath is { } file && !File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            File.WriteAllText(file, key + "\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            say($"Created a new repository key in {file} (mode 0600). Keep a copy somewhere safe: without it no backup can be restored.");
        }
    }

    private static void Print(CliOutput output, QuickstartReport report)
    {
        var first = report.Backups[0];
        var second = report.Backups[^1];
        output.Line();
        output.Line("Quickstart summary");
        output.Line($"  snapshots        : {report.Backups.Count} new ({string.Join(", ", report.Backups.Select(b => b.Results[0].Snapshot.ShortId))}) of policy {first.Policy.Name} on target {first.Target}");
        output.Line($"  sample data      : {Format.Bytes(report.SampleBytes)} in {report.SampleDirectory}");
        output.Line($"  first backup     : {Format.Bytes(first.BytesRead)} read in {Format.Duration(first.Elapsed)} ({Format.Rate(first.BytesRead, first.Elapsed)}), {Format.Bytes(first.BytesStored)} stored");
        output.Line($"  second backup    : {Format.Bytes(second.BytesRead)} read, {Format.Bytes(second.BytesNew)} new, {Format.Bytes(second.BytesStored)} stored in {Format.Duration(second.Elapsed)}");
        output.Line($"  dedup ratio      : {report.DedupRatio:0.00}x (logical bytes of all snapshots / bytes stored)");
        output.Line($"  restore          : {report.Restore.Result.Files:N0} files, {Format.Bytes(report.Restore.Result.Bytes)} in {Format.Duration(report.Restore.Elapsed)} ({Format.Rate(report.Restore.Result.Bytes, report.Restore.Elapsed)}) to {report.RestoreDirectory}");
        output.Line($"  verified         : {report.Restore.Result.FilesVerified:N0} files by the restorer, {report.FilesCompared:N0} re-compared with the originals by SHA-256 — all identical");
        output.Line();
        output.Line("Next: ./drorch snapshots quickstart   ./drorch check local --read-data   ./drorch policy list");
    }
}
