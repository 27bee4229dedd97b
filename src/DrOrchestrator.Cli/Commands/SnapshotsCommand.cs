using System.CommandLine;
using DrOrchestrator.Cli.Commands.Remote;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Snapshots;

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
        var fromOption = new Option<string?>("--from") { Description = "List from this target's repository instead of the catalog" };
        var command = new Command("snapshots", "List snapshots, oldest first") { policy, json, fromOption };
        CommandTree.SetAction(
            command,
            output,
            async (context, ct) =>
            {
                var from = context.ParseResult.GetValue(fromOption);
                if (from is null)
                {
                    await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
                }

                var rows = await context.Get<SnapshotListService>().ListAsync(context.ParseResult.GetValue(policy), from, ct, unknownPolicyIsError: true).ConfigureAwait(false);
                return Print(context.Output, rows, context.ParseResult.GetValue(json));
            },
            async (context, client, ct) =>
            {
                var rows = await RemoteCommands.SnapshotsAsync(client, context.ParseResult.GetValue(policy), context.ParseResult.GetValue(fromOption), ct).ConfigureAwait(false);
                return Print(context.Output, rows, context.ParseResult.GetValue(json));
            });
        return command;
    }

    private static int Print(CliOutput output, IReadOnlyList<SnapshotListItem> rows, bool asJson)
    {
        if (asJson)
        {
            output.Line(ContractJson.Serialize(rows));
            return ExitCodes.Success;
        }

        output.Line($"{"ID",-10} {"POLICY",-16} {"RECOVERY POINT",-21} {"FILES",9} {"SIZE",10} {"STORED",10}  TARGETS");
        foreach (var row in rows)
        {
            var targets = string.Join(", ", row.Targets.Select(t => t.Status == "present" ? t.Name : $"{t.Name} ({t.Status})"));
            output.Line($"{row.Id[..Math.Min(8, row.Id.Length)],-10} {row.Policy,-16} {Format.Time(row.RecoveryPoint),-21} {row.Files,9:N0} {Format.Bytes(row.TotalBytes),10} {Format.Bytes(row.BytesStored),10}  {targets}");
        }

        output.Line(Format.Count(rows.Count, "snapshot"));
        return ExitCodes.Success;
    }
}
