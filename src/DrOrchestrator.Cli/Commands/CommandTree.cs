using System.CommandLine;
using DrOrchestrator.Cli.Console;

namespace DrOrchestrator.Cli.Commands;

/// <summary>The `drorch` command tree (the stable contract of DESIGN.md).</summary>
public static class CommandTree
{
    public static readonly Option<string?> ConfigOption = new("--config")
    {
        Description = "Configuration file (default: $DRORCH_CONFIG, else ./appsettings.json)",
        Recursive = true,
    };

    public static RootCommand Build(CliOutput? output = null)
    {
        var root = new RootCommand("drorch — disaster-recovery backup orchestrator: policies, multi-target backups, restores, drills");
        root.Options.Add(ConfigOption);
        root.Subcommands.Add(PolicyCommands.Build(output));
        root.Subcommands.Add(BackupCommand.Build(output));
        root.Subcommands.Add(SnapshotsCommand.Build(output));
        root.Subcommands.Add(RestoreCommand.Build(output));
        root.Subcommands.Add(CopyCommand.Build(output));
        root.Subcommands.Add(CheckCommand.Build(output));
        root.Subcommands.Add(PruneCommand.Build(output));
        root.Subcommands.Add(RunbookCommand.Build(output));
        root.Subcommands.Add(PoolCommands.Build(output));
        root.Subcommands.Add(QuickstartCommand.Build(output));
        root.Subcommands.Add(ServeCommand.Build(output));
        return root;
    }

    /// <summary>
    /// Wraps a command body: builds its context, maps exceptions to the one-line error + exit
    /// code, and disposes the services.
    /// </summary>
    public static void SetAction(Command command, CliOutput? output, Func<CommandContext, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var cli = output ?? new CliOutput();
            var context = new CommandContext(parseResult, cli, parseResult.GetValue(ConfigOption));
            await using (context.ConfigureAwait(false))
            {
                try
                {
                    return await body(context, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    return CliErrors.Report(ex, cli);
                }
            }
        });
    }
}
