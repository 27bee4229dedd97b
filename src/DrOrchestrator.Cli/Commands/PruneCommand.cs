using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Prune;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch prune &lt;policy&gt; [--target T] [--dry-run] [--json]`: applies the policy's retention on
/// each of its targets and reclaims the space (docs/decisions.md §32). Every snapshot is listed
/// with the rules that keep it, or "remove". Exit 1 when a target failed.
/// </summary>
public static class PruneCommand
{
    public static Command Build(CliOutput? output)
    {
        var policy = new Argument<string>("policy") { Description = "Policy name" };
        var target = new Option<string?>("--target") { Description = "Only this target of the policy" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only list what would be removed and which rule keeps each kept snapshot" };
        var json = new Option<bool>("--json") { Description = "Machine-readable output (stable fields)" };
        var command = new Command("prune", "Forget the snapshots a policy's retention does not keep and reclaim their space, without stopping backups")
        {
            policy, target, dryRun, json,
        };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
            var result = await context.Get<PolicyPruneService>().PruneAsync(
                context.ParseResult.GetRequiredValue(policy), context.ParseResult.GetValue(target), context.ParseResult.GetValue(dryRun), ct).ConfigureAwait(false);
            if (context.ParseResult.GetValue(json))
            {
                context.Output.Line(ContractJson.Serialize(result));
            }
            else
            {
                Print(context.Output, result);
            }

            var failed = result.Targets.Where(t => t.Error is not null).ToList();
            if (failed.Count > 0)
            {
                context.Output.Error($"prune of {result.Policy} failed on {string.Join("; ", failed.Select(f => $"{f.Target}: {f.Error}"))}");
                return ExitCodes.Failure;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static void Print(CliOutput output, PruneInfo result)
    {
        foreach (var target in result.Targets)
        {
            var removed = target.Snapshots.Count(s => !s.Keep);
            output.Line($"{target.Target}: keep {target.Snapshots.Count - removed}, {(result.DryRun ? "would remove" : "remove")} {removed}");
            foreach (var snapshot in target.Snapshots)
            {
                var why = snapshot.Keep ? $"keep    ({string.Join(", ", snapshot.KeptBy)})" : "remove";
                output.Line($"  {snapshot.Id[..Math.Min(8, snapshot.Id.Length)]}  {Format.Time(snapshot.Time)}  {why}");
            }

            if (target.Figures is { } f)
            {
                output.Line($"{target.Target}: {f.SnapshotsForgotten} snapshots forgotten; {f.PacksMarked} packs marked for deletion, {f.PacksRepacked} repacked ({Format.Bytes(f.BytesRepacked)}), "
                    + $"{f.PacksDeleted} deleted ({Format.Bytes(f.BytesDeleted)}), {f.PacksSpared} spared; {f.MarksPending} marks waiting for their grace period; packs {Format.Bytes(f.PackBytesBefore)} → {Format.Bytes(f.PackBytesAfter)}");
            }
        }

        if (result.DryRun)
        {
            output.Line("dry run: nothing was removed");
        }
    }
}
