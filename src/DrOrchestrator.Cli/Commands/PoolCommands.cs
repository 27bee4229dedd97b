using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Targets;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch pool rebalance &lt;target&gt;`: after a membership change, move only the packs whose
/// placement changed. `drorch pool repair &lt;target&gt;`: the same pass, named for the other
/// reason to run it — a member lost data, and `check` reports packs below R copies or metadata
/// missing on it; every pack gets its R placement copies back and every member the metadata.
/// </summary>
public static class PoolCommands
{
    public static Command Build(CliOutput? output)
    {
        var pool = new Command("pool", "Manage pool targets (consistent-hash spread over several stores)");
        var target = new Argument<string>("target") { Description = "Pool target name" };
        var rebalance = new Command("rebalance", "Copy packs to their new placement members, then drop copies no longer placed there") { target };
        CommandTree.SetAction(rebalance, output, (context, ct) => RunAsync(context, context.ParseResult.GetRequiredValue(target), ct));
        pool.Subcommands.Add(rebalance);

        var repairTarget = new Argument<string>("target") { Description = "Pool target name" };
        var repair = new Command("repair", "Restore R copies of every pack and the metadata on every member (after a member lost data)") { repairTarget };
        CommandTree.SetAction(repair, output, (context, ct) => RunAsync(context, context.ParseResult.GetRequiredValue(repairTarget), ct));
        pool.Subcommands.Add(repair);
        return pool;
    }

    private static async Task<int> RunAsync(CommandContext context, string name, CancellationToken ct)
    {
        var report = await context.Get<PoolRebalanceService>().RebalanceAsync(name, ct).ConfigureAwait(false);
        context.Output.Line($"pool {name}: {report.PacksExamined:N0} packs examined, {report.PacksMoved:N0} moved ({report.CopiesMade:N0} copies made, {report.CopiesDeleted:N0} removed, {Format.Bytes(report.BytesCopied)}), {report.MetadataCopied:N0} metadata objects copied");
        foreach (var error in report.Errors)
        {
            context.Output.Error(error);
        }

        return report.Succeeded ? ExitCodes.Success : ExitCodes.Failure;
    }
}
