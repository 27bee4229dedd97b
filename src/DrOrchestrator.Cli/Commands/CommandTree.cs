using System.CommandLine;
using DrOrchestrator.Cli.Commands.Remote;
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

    public static readonly Option<string?> ServerOption = new("--server")
    {
        Description = $"Send the command to a running `drorch serve` at URL instead of running it here (API key from ${ServiceClient.ApiKeyVariable})",
        Recursive = true,
    };

    public static readonly Option<bool> VerboseOption = new("--verbose", "-v")
    {
        Description = "Also print the log (stderr) and a failure's details",
        Recursive = true,
    };

    public static readonly Option<bool> QuietOption = new("--quiet", "-q")
    {
        Description = "Print only results and errors: no progress, no warnings",
        Recursive = true,
    };

    public static RootCommand Build(CliOutput? output = null)
    {
        var root = new RootCommand("drorch — disaster-recovery backup orchestrator: policies, multi-target backups, restores, drills");
        root.Options.Add(ConfigOption);
        root.Options.Add(ServerOption);
        root.Options.Add(VerboseOption);
        root.Options.Add(QuietOption);
        root.Subcommands.Add(PolicyCommands.Build(output));
        root.Subcommands.Add(BackupCommand.Build(output));
        root.Subcommands.Add(SnapshotsCommand.Build(output));
        root.Subcommands.Add(RunsCommand.Build(output));
        root.Subcommands.Add(RestoreCommand.Build(output));
        root.Subcommands.Add(CopyCommand.Build(output));
        root.Subcommands.Add(CheckCommand.Build(output));
        root.Subcommands.Add(PruneCommand.Build(output));
        root.Subcommands.Add(RunbookCommand.Build(output));
        root.Subcommands.Add(CatalogCommand.Build(output));
        root.Subcommands.Add(DrillCommand.Build(output));
        root.Subcommands.Add(PoolCommands.Build(output));
        root.Subcommands.Add(TargetCommands.Build(output));
        root.Subcommands.Add(KeyCommands.Build(output));
        root.Subcommands.Add(QuickstartCommand.Build(output));
        root.Subcommands.Add(ServeCommand.Build(output));
        root.Subcommands.Add(StatusCommand.Build(output));
        root.Subcommands.Add(ReportCommand.Build(output));
        return root;
    }

    /// <summary>
    /// Wraps a command body: builds its context, maps exceptions to the one-line error + exit
    /// code, and disposes the services. With <c>--server URL</c> the <paramref name="remote"/> body
    /// runs instead, against the service's API; a command without one refuses --server.
    /// </summary>
    public static void SetAction(
        Command command, CliOutput? output, Func<CommandContext, CancellationToken, Task<int>> body,
        Func<CommandContext, ServiceClient, CancellationToken, Task<int>>? remote = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var cli = output ?? new CliOutput(quiet: parseResult.GetValue(QuietOption));
            var verbose = parseResult.GetValue(VerboseOption);
            var context = new CommandContext(parseResult, cli, parseResult.GetValue(ConfigOption), verbose);
            await using (context.ConfigureAwait(false))
            {
                try
                {
                    if (parseResult.GetValue(ServerOption) is not { } server)
                    {
                        return await body(context, cancellationToken).ConfigureAwait(false);
                    }

                    if (remote is null)
                    {
                        throw new ServiceRequestException([$"--server: `drorch {command.Name}` runs only where the data is; run it on a node"], ExitCodes.InvalidInput);
                    }

                    using var client = ServiceClient.Connect(server);
                    return await remote(context, client, cancellationToken).ConfigureAwait(false);
                }
                catch (ServiceRequestException ex)
                {
                    foreach (var line in ex.Lines.Take(CliErrors.MaxErrorLines))
                    {
                        cli.Error(line);
                    }

                    return ex.ExitCode;
                }
                catch (Exception ex)
                {
                    return CliErrors.Report(ex, cli, verbose);
                }
            }
        });
    }
}
