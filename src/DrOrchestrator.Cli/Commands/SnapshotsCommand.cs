using System.CommandLine;
using DrOrchestrator.Catalog;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Targets;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch snapshots [&lt;policy&gt;] [--json] [--from TARGET]`: from the catalog (with each
/// snapshot's presence per target), or straight from a target's repository with --from (what
/// works when the catalog is gone).
/// </summary>
public static class SnapshotsCommand
{
    public static Command Build(CliOutput? output)
    {
        var policy = new Argument<string?>("policy") { Description = "Only this policy's snapshots", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Machine-readable output (stable fields)" };
        var from = new Option<string?>("--from") { Description = "List from this target's repository instead of the catalog" };
        var command = new Command("snapshots", "List snapshots, oldest first") { policy, json, from };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            var name = context.ParseResult.GetValue(policy);
            var asJson = context.ParseResult.GetValue(json);
            var rows = context.ParseResult.GetValue(from) is { } target
                ? await FromTargetAsync(context, target, name, ct).ConfigureAwait(false)
                : await FromCatalogAsync(context, name, ct).ConfigureAwait(false);
            if (asJson)
            {
                context.Output.Line(CliJson.Serialize(rows));
                return ExitCodes.Success;
            }

            context.Output.Line($"{"ID",-10} {"POLICY",-16} {"RECOVERY POINT",-21} {"FILES",9} {"SIZE",10} {"STORED",10}  TARGETS");
            foreach (var row in rows)
            {
                var targets = string.Join(", ", row.Targets.Select(t => t.Status == "present" ? t.Name : $"{t.Name} ({t.Status})"));
                context.Output.Line($"{row.Id[..Math.Min(8, row.Id.Length)],-10} {row.Policy,-16} {Format.Time(row.RecoveryPoint),-21} {row.Files,9:N0} {Format.Bytes(row.TotalBytes),10} {Format.Bytes(row.BytesStored),10}  {targets}");
            }

            context.Output.Line($"{rows.Count} snapshots");
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<IReadOnlyList<SnapshotListJson>> FromCatalogAsync(CommandContext context, string? policy, CancellationToken ct)
    {
        await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
        var snapshots = await context.Get<CatalogStore>().ListSnapshotsAsync(policy, ct).ConfigureAwait(false);
        return [.. snapshots
            .OrderBy(s => s.Figures.RecoveryPoint)
            .Select(s => new SnapshotListJson(
                s.Figures.SnapshotId, s.PolicyName, s.Figures.Time.ToUniversalTime(), s.Figures.RecoveryPoint.ToUniversalTime(), s.Figures.Hostname,
                s.Figures.FileCount, s.Figures.TotalBytes, s.Figures.BytesNew, s.Figures.BytesStored,
                [.. s.Presence.OrderBy(p => p.TargetName, StringComparer.Ordinal).Select(p => new PresenceJson(
                    p.TargetName, p.Status.ToString().ToLowerInvariant(), p.CompleteAt?.ToUniversalTime(), p.LastVerifiedAt?.ToUniversalTime()))]))];
    }

    private static async Task<IReadOnlyList<SnapshotListJson>> FromTargetAsync(CommandContext context, string target, string? policy, CancellationToken ct)
    {
        await using var repository = await context.Get<RepositoryAccess>().OpenAsync(target, ct).ConfigureAwait(false);
        var snapshots = await repository.ListSnapshotsAsync(ct).ConfigureAwait(false);
        return [.. snapshots
            .Where(s => policy is null || s.PolicyName == policy)
            .OrderBy(s => s.RecoveryPoint)
            .Select(s => new SnapshotListJson(
                s.Id, s.PolicyName, s.Time.ToUniversalTime(), s.RecoveryPoint.ToUniversalTime(), s.Hostname,
                s.Summary.TotalFiles, s.Summary.TotalBytes, s.Summary.BytesNew, s.Summary.BytesStored,
                [new PresenceJson(target, "present", s.Time.ToUniversalTime() + s.Summary.Duration, null)]))];
    }
}

public sealed record PresenceJson(string Name, string Status, DateTimeOffset? CompleteAt, DateTimeOffset? LastVerifiedAt);

public sealed record SnapshotListJson(
    string Id, string? Policy, DateTimeOffset Time, DateTimeOffset RecoveryPoint, string Hostname,
    long Files, long TotalBytes, long BytesNew, long BytesStored, IReadOnlyList<PresenceJson> Targets);
