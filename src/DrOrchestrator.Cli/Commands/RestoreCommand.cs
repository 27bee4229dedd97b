using System.CommandLine;
using System.Globalization;
using DrOrchestrator.Cli.Commands.Remote;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Restore;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch restore &lt;policy&gt; [--snapshot ID | --at TIME] [--from TARGET] [--include GLOB] --to DIR [--overwrite]`,
/// or `… --to-db CONNECTION [--source NAME] [--database NAME] [--password-env VAR]` for a database source.
/// Works without the catalog: the repository on the target describes itself.
/// </summary>
public static class RestoreCommand
{
    public static Command Build(CliOutput? output)
    {
        var policy = new Argument<string>("policy") { Description = "Policy name" };
        var snapshot = new Option<string?>("--snapshot") { Description = "Snapshot id (or unique prefix); default: newest" };
        var at = new Option<string?>("--at") { Description = "Newest snapshot whose recovery point is at or before TIME (ISO 8601; without an offset, local time: 2026-11-25T18:00, 2026-11-25T18:00Z)" };
        var from = new Option<string?>("--from") { Description = "Read from this target only (default: primaries, then replicas, then any configured target)" };
        var include = new Option<string[]>("--include") { Description = "Restore only paths matching GLOB (repeatable): 'alice/etc/**' as under --to, or the original '/home/alice/etc/**'", AllowMultipleArgumentsPerToken = false };
        var to = new Option<string?>("--to") { Description = "Destination directory (must be empty unless --overwrite)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Allow a non-empty destination; files at restored paths are replaced, other files are kept (see --delete)" };
        var delete = new Option<bool>("--delete") { Description = "Also remove what the destination holds beyond the snapshot (like rsync --delete; implies --overwrite)" };
        var toDb = new Option<string?>("--to-db") { Description = "Restore a database source into this database instead (e.g. 'host=127.0.0.1 port=5432 user=postgres database=orders_restored'; new or empty unless --overwrite); its fingerprint is verified" };
        var source = new Option<string?>("--source") { Description = "With --to-db: the database source's name (default: the snapshot's only one)" };
        var database = new Option<string?>("--database") { Description = "With --to-db: which database of the source (default: its only one)" };
        var passwordEnv = new Option<string?>("--password-env") { Description = "With --to-db: environment variable holding the destination's password (default: the client's own, e.g. ~/.pgpass)" };
        var keepDamaged = new Option<bool>("--keep-damaged") { Description = "Keep files that fail verification as NAME.drorch-damaged (default: removed)" };
        var noOwner = new Option<bool>("--no-owner") { Description = "Do not restore owners and groups (restored only when running as root)" };
        var json = new Option<bool>("--json") { Description = "Machine-readable summary" };
        var command = new Command("restore", "Restore a snapshot into a directory, verifying every file's SHA-256")
        {
            policy, snapshot, at, from, include, to, toDb, source, database, passwordEnv, overwrite, delete, keepDamaged, noOwner, json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(snapshot) is not null && result.GetValue(at) is not null)
            {
                result.AddError("--snapshot and --at cannot be combined");
            }

            if ((result.GetValue(to) is null) == (result.GetValue(toDb) is null))
            {
                result.AddError("give exactly one of --to DIR and --to-db CONNECTION");
            }
        });
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            // No catalog migration here, unlike every other command: a restore only reads the
            // catalog, and must not fail (or wait) because the catalog is down, damaged or old.
            var parse = context.ParseResult;
            var atTime = ParseTime(parse.GetValue(at));
            if (atTime is { } resolved && !parse.GetValue(json))
            {
                context.Output.Line($"--at {parse.GetValue(at)} is {Format.Time(resolved)} ({(HasOffset(parse.GetValue(at)!) ? "offset as given" : $"local time, UTC{resolved:zzz}")})");
            }

            if (parse.GetValue(toDb) is { } connection)
            {
                var databaseRequest = new PolicyDatabaseRestoreRequest(
                    parse.GetRequiredValue(policy), parse.GetValue(snapshot), atTime, parse.GetValue(from),
                    connection, parse.GetValue(source), parse.GetValue(database), parse.GetValue(overwrite), parse.GetValue(passwordEnv));
                var db = await context.Get<PolicyRestoreService>().RunAsync(databaseRequest, ct).ConfigureAwait(false);
                context.Output.Line(parse.GetValue(json)
                    ? ContractJson.Serialize(db)
                    : $"restored database {db.Database} of source {db.Source} from snapshot {db.ShortId} (recovery point {Format.Time(db.RecoveryPoint)}) from {db.Target} into {db.Destination}: {db.Tables:N0} tables, {db.Rows:N0} rows, fingerprint verified, {Format.Bytes(db.Bytes)} in {Format.Duration(TimeSpan.FromSeconds(db.ElapsedSeconds))}");
                return ExitCodes.Success;
            }

            var request = new PolicyRestoreRequest(
                parse.GetRequiredValue(policy),
                parse.GetValue(snapshot),
                atTime,
                parse.GetValue(from),
                parse.GetValue(include) ?? [],
                Path.GetFullPath(parse.GetValue(to)!),
                parse.GetValue(overwrite) || parse.GetValue(delete))
            {
                KeepDamaged = parse.GetValue(keepDamaged),
                SkipOwners = parse.GetValue(noOwner),
                Delete = parse.GetValue(delete),
            };
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

            foreach (var warning in restored.Warnings)
            {
                context.Output.Warning(warning.ToString());
            }

            // Every file that is not in place is listed (it is nowhere under its real name), then one summary line.
            foreach (var failure in restored.Failures)
            {
                context.Output.Error($"not restored: {failure.Path}: {failure.Message}");
            }

            var exit = restored.Failures.Count > 0 ? ExitCodes.Failure : ExitCodes.Success;
            if (parse.GetValue(json))
            {
                context.Output.Line(ContractJson.Serialize(restored));
                return exit;
            }

            var r = restored;
            context.Output.Line($"restored snapshot {r.ShortId} (recovery point {Format.Time(r.RecoveryPoint)}) from {r.Target} to {r.Destination}");
            context.Output.Line($"  {Format.Count(r.Files, "file")} ({r.FilesVerified:N0} SHA-256 verified), {Format.Count(r.Directories, "dir")}, {Format.Count(r.Symlinks, "symlink")}, {Format.Bytes(r.Bytes)} in {Format.Duration(r.Elapsed)} ({Format.Rate(r.Bytes, r.Elapsed)})");
            if (r.Deleted > 0 || parse.GetValue(delete))
            {
                context.Output.Line($"  deleted {Format.Count(r.Deleted, "entry", "entries")} the snapshot does not hold (--delete)");
            }

            if (r.Failures.Count > 0)
            {
                context.Output.Error($"{r.Failures.Count:N0} {(r.Failures.Count == 1 ? "file" : "files")} could not be restored (listed above); none of them is in the destination under its name");
            }

            return exit;
        }, (context, client, ct) =>
        {
            var parse = context.ParseResult;
            if (parse.GetValue(keepDamaged) || parse.GetValue(noOwner))
            {
                throw new ServiceRequestException(["--server: --keep-damaged and --no-owner are not available through the service"], ExitCodes.InvalidInput);
            }

            if (parse.GetValue(toDb) is not null)
            {
                throw new ServiceRequestException(["--server: --to-db is not available through the service; run the database restore where drorch can reach the target and the database"], ExitCodes.InvalidInput);
            }

            return RemoteCommands.RestoreAsync(
                context.Output, client, parse.GetRequiredValue(policy), parse.GetValue(to)!, parse.GetValue(snapshot), ParseTime(parse.GetValue(at)),
                parse.GetValue(from), parse.GetValue(include) ?? [], parse.GetValue(overwrite), parse.GetValue(json), ct);
        });
        return command;
    }

    private static DateTimeOffset? ParseTime(string? text)
    {
        if (text is null)
        {
            return null;
        }

        // Without an offset the time is local, as restic and `date` read it; the resolved instant is printed.
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var time)
            ? time
            : throw new Orchestration.Configuration.ConfigurationException($"--at: '{text}' is not a time (use ISO 8601, e.g. 2026-11-25T18:00 for local time or 2026-11-25T18:00Z)");
    }

    /// <summary>True when the text names its offset (Z, +hh:mm, -hh:mm after the time of day).</summary>
    private static bool HasOffset(string text)
    {
        var time = text.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        var tail = time < 0 ? "" : text[time..];
        return tail.EndsWith('Z') || tail.EndsWith('z') || tail.Contains('+', StringComparison.Ordinal) || tail.Contains('-', StringComparison.Ordinal);
    }
}
