using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Quickstart;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch quickstart`: the embedded-default tour (SQLite catalog, local target, no service).
/// Creates a repository key file on first use when the configuration names one that is missing
/// (<c>QuickstartRunner.RunTourAsync</c>).
/// </summary>
public static class QuickstartCommand
{
    /// <summary>A tour, not a benchmark: 64 GiB of sample data would fill a laptop's disk.</summary>
    private const int MaxSampleMegabytes = 65536;

    public static Command Build(CliOutput? output)
    {
        var target = new Option<string>("--target") { Description = "Target to use", DefaultValueFactory = _ => "local" };
        var size = new Option<int>("--sample-size") { Description = "Sample data size in MiB", DefaultValueFactory = _ => 64 };
        var command = new Command("quickstart", "Back up sample data twice, restore it and verify every checksum (no server needed)") { target, size };
        size.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > MaxSampleMegabytes)
            {
                result.AddError($"--sample-size: {result.GetValueOrDefault<int>()} is not between 1 and {MaxSampleMegabytes} (MiB)");
            }
        });
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            Action<string> say = text => context.Output.Line(text);
            var targetName = context.ParseResult.GetRequiredValue(target);
            if (WriteConfigurationIfNone(context.ParseResult.GetValue(CommandTree.ConfigOption)) is { } written)
            {
                say($"No configuration found: wrote {written} (SQLite catalog, key and local repository under ./data); later commands in this folder use it.");
            }

            context.CreateCatalogFolder();
            await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
            var report = await context.Get<QuickstartRunner>().RunTourAsync(targetName, context.ParseResult.GetValue(size), say, ct).ConfigureAwait(false);
            Print(context.Output, report);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The embedded default, written by a quickstart run where no configuration exists.</summary>
    private const string DefaultConfiguration = """
        {
          "Catalog": { "Provider": "Sqlite", "ConnectionString": "Data Source=data/catalog.db" },
          "RepositoryKey": { "File": "data/repository.key" },
          "Targets": { "local": { "Type": "local", "Path": "data/repo" } }
        }

        """;

    /// <summary>
    /// Quickstart alone works in any empty folder: without --config, $DRORCH_CONFIG or
    /// ./appsettings.json it writes ./appsettings.json (its data goes under ./data beside it).
    /// Every other command refuses to run without a configuration.
    /// </summary>
    private static string? WriteConfigurationIfNone(string? explicitPath)
    {
        if (explicitPath is not null || Environment.GetEnvironmentVariable(Orchestration.Configuration.ConfigurationLoader.EnvironmentVariable) is not null
            || File.Exists("appsettings.json"))
        {
            return null;
        }

        var path = Path.GetFullPath("appsettings.json");
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        using (var writer = new StreamWriter(file))
        {
            writer.Write(DefaultConfiguration);
        }

        return path;
    }

    private static void Print(CliOutput output, QuickstartSummary report)
    {
        var first = report.Backups[0];
        var second = report.Backups[^1];
        output.Line();
        output.Line("Quickstart summary");
        output.Line($"  snapshots        : {report.Backups.Count} new ({string.Join(", ", report.Backups.Select(b => b.Snapshots[0].ShortId))}) of policy {report.Policy} on target {report.Target}");
        output.Line($"  sample data      : {Format.Bytes(report.SampleBytes)} in {report.SampleDirectory}");
        output.Line($"  first backup     : {Format.Bytes(first.BytesRead)} read in {Format.Duration(first.Elapsed)} ({Format.Rate(first.BytesRead, first.Elapsed)}), {Format.Bytes(first.BytesStored)} stored");
        output.Line($"  second backup    : {Format.Bytes(second.BytesRead)} read, {Format.Bytes(second.BytesNew)} new, {Format.Bytes(second.BytesStored)} stored in {Format.Duration(second.Elapsed)}");
        output.Line($"  dedup ratio      : {report.DedupRatio:0.00}x (logical bytes of all snapshots / bytes stored)");
        output.Line($"  restore          : {report.Restore.Files:N0} files, {Format.Bytes(report.Restore.Bytes)} in {Format.Duration(report.Restore.Elapsed)} ({Format.Rate(report.Restore.Bytes, report.Restore.Elapsed)}) to {report.Restore.Destination}");
        output.Line($"  verified         : {report.Restore.FilesVerified:N0} files by the restorer, {report.FilesCompared:N0} re-compared with the originals by SHA-256 — all identical");
        output.Line();
        // The checkout's launcher says it is `./drorch`; an installed drorch is on the PATH.
        var drorch = Environment.GetEnvironmentVariable("DRORCH_LAUNCHER") is { Length: > 0 } launcher ? launcher : "drorch";
        output.Line($"Next: {drorch} snapshots quickstart   {drorch} check local --read-data   {drorch} policy list");
    }
}
