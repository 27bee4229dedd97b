using System.CommandLine;
using System.Globalization;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Restore;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch restore &lt;policy&gt; [--snapshot ID | --at TIME] [--from TARGET] [--include GLOB] --to DIR [--overwrite]`.
/// Works without the catalog: the repository on the target describes itself.
/// </summary>
public static class RestoreCommand
{
    public static Command Build(CliOutput? output)
    {
        var policy = new Argument<string>("policy") { Description = "Policy name" };
        var snapshot = new Option<string?>("--snapshot") { Description = "Snapshot id (or unique prefix); default: newest" };
        var at = new Option<string?>("--at") { Description = "Newest snapshot whose recovery point is at or before TIME (ISO 8601, e.g. 2026-11-25T18:00Z)" };
        var from = new Option<string?>("--from") { Description = "Read from this target only (default: primaries, then replicas, then any configured target)" };
        var include = new Option<string[]>("--include") { Description = "Restore only paths matching GLOB (repeatable)", AllowMultipleArgumentsPerToken = false };
        var to = new Option<string>("--to") { Description = "Destination directory (must be empty unless --overwrite)", Required = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "Allow a non-empty destination; existing files are replaced" };
        var json = new Option<bool>("--json") { Description = "Machine-readable summary" };
        var command = new Command("restore", "Restore a snapshot into a directory, verifying every file's SHA-256")
        {
            policy, snapshot, at, from, include, to, overwrite, json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(snapshot) is not null && result.GetValue(at) is not null)
            {
                result.AddError("--snapshot and --at cannot be combined");
            }
        });
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            // No catalog migration here, unlike every other command: a restore only reads the
            // catalog, and must not fail (or wait) because the catalog is down, damaged or old.
            var parse = context.ParseResult;
            var request = new PolicyRestoreRequest(
                parse.GetRequiredValue(policy),
                parse.GetValue(snapshot),
                ParseTime(parse.GetValue(at)),
                parse.GetValue(from),
                parse.GetValue(include) ?? [],
                Path.GetFullPath(parse.GetRequiredValue(to)),
                parse.GetValue(overwrite));
            var restored = await context.Output.WithProgressAsync($"restore {request.Policy}", progress =>
                context.Get<PolicyRestoreService>().RunAsync(request, progress, ct)).ConfigureAwait(false);
            if (restored.CatalogProblem is { } catalogProblem)
            {
                context.Output.Warning($"catalog not used ({catalogProblem}); every configured target was tried");
            }

            foreach (var bad in restored.BadCopies)
            {
                context.Output.Warning($"bad copy skipped: {bad}");
            }

            if (parse.GetValue(json))
            {
                context.Output.Line(ContractJson.Serialize(restored));
                return ExitCodes.Success;
            }

            var r = restored;
            context.Output.Line($"restored snapshot {r.ShortId} (recovery point {Format.Time(r.RecoveryPoint)}) from {r.Target} to {r.Destination}");
            context.Output.Line($"  {r.Files:N0} files ({r.FilesVerified:N0} SHA-256 verified), {r.Directories:N0} dirs, {r.Symlinks:N0} symlinks, {Format.Bytes(r.Bytes)} in {Format.Duration(r.Elapsed)} ({Format.Rate(r.Bytes, r.Elapsed)})");
            return ExitCodes.Success;
        });
        return command;
    }

    private static DateTimeOffset? ParseTime(string? text)
    {
        if (text is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new Orchestration.Configuration.ConfigurationException($"--at: '{text}' is not a time (use ISO 8601, e.g. 2026-11-25T18:00:00Z)");
    }
}
