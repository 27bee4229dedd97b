using System.CommandLine;
using DrOrchestrator.Cli.Console;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// `drorch catalog …`: the catalog's own upkeep. Each subcommand lives in its own file
/// (`CatalogRebuildCommand`, …) and is added here with one line.
/// </summary>
public static class CatalogCommand
{
    public static Command Build(CliOutput? output)
    {
        var catalog = new Command("catalog", "The catalog's upkeep: bring its schema up to date, rebuild it from a target, write the orchestrator's own backup");
        catalog.Subcommands.Add(CatalogMigrateCommand.Build(output));
        catalog.Subcommands.Add(CatalogRebuildCommand.Build(output));
        catalog.Subcommands.Add(CatalogRebuildCommand.BuildBackup(output));
        return catalog;
    }
}
