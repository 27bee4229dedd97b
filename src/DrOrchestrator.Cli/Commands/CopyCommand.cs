using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Replication;
using DrOrchestrator.Orchestration.Targets;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch copy &lt;policy&gt;`: bring every target of a policy up to date from a reachable primary
/// (the catch-up after an outage; `backup` runs the same copy after each backup).
/// </summary>
public static class CopyCommand
{
    public static Command Build(CliOutput? output)
    {
        var policy = new Argument<string>("policy") { Description = "Policy name" };
        var command = new Command("copy", "Copy missing snapshots of a policy to its replicas and lagging primaries") { policy };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
            var name = context.ParseResult.GetRequiredValue(policy);
            var copies = await context.Get<ReplicaCopyService>().CatchUpAsync(name, ct).ConfigureAwait(false);
            if (copies.Count == 0)
            {
                context.Output.Line($"nothing to copy: policy {name} has no replicas and no other primary");
                return ExitCodes.Success;
            }

            foreach (var copy in copies)
            {
                context.Output.Line(copy.Succeeded
                    ? $"{copy.Target}: {Format.Count(copy.PacksCopied, "pack")}, {Format.Bytes(copy.BytesCopied)}, {Format.Count(copy.SnapshotsCopied.Count, "snapshot")} copied"
                    : $"{copy.Target}: FAILED: {copy.Error}");
                foreach (var skipped in copy.Skipped)
                {
                    context.Output.Warning($"{copy.Target}: {skipped}");
                }
            }

            var failed = copies.Where(o => !o.Succeeded).ToList();
            if (failed.Count > 0)
            {
                context.Output.Error($"copy of {name} incomplete: {string.Join("; ", failed.Select(f => TargetMessage.About(f.Target, f.Error ?? "failed")))}");
                return ExitCodes.Failure;
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
