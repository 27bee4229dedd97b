using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration;
using DrOrchestrator.Orchestration.Contracts;

namespace DrOrchestrator.Cli.Commands;

/// <summary>`drorch catalog migrate`: the catalog database's schema (added to the group by <see cref="CatalogCommand"/>).</summary>
public static class CatalogMigrateCommand
{
    /// <summary>
    /// `drorch catalog migrate [--check] [--json]`: applies the migrations the configured catalog
    /// (SQLite or PostgreSQL) lacks and names each; the migrator's lock (on PostgreSQL an advisory lock, §56) makes two at once (or
    /// nodes starting meanwhile) apply each once. `--check` changes nothing — not even creating a
    /// missing SQLite file — and exits 1 while migrations are pending, so a rollout can gate on it.
    /// </summary>
    public static Command Build(CliOutput? output)
    {
        var check = new Option<bool>("--check") { Description = "Change nothing: list the pending migrations; exit 1 when there are any" };
        var json = new Option<bool>("--json") { Description = "Machine-readable output (stable fields)" };
        var command = new Command("migrate", "Apply the catalog's pending schema migrations (every command also does this on first use)") { check, json };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            bool checkOnly = context.ParseResult.GetValue(check);
            var result = await context.Services.MigrateCatalogSchemaAsync(checkOnly, ct).ConfigureAwait(false);
            if (context.ParseResult.GetValue(json))
            {
                context.Output.Line(ContractJson.Serialize(result));
            }
            else
            {
                Print(context.Output, result);
            }

            return checkOnly && result.Pending.Count > 0 ? ExitCodes.Failure : ExitCodes.Success;
        });
        return command;
    }

    private static void Print(CliOutput output, CatalogMigrationInfo result)
    {
        var catalog = $"catalog ({result.Provider})";
        if (result.Check)
        {
            output.Line(result.Pending.Count == 0
                ? $"{catalog} is up to date: {result.Applied.Count} migrations applied, none pending"
                : $"{catalog}: {result.Applied.Count} migrations applied, {result.Pending.Count} pending (`drorch catalog migrate` applies them):");
            foreach (var name in result.Pending)
            {
                output.Line($"  pending  {name}");
            }
        }
        else if (result.AppliedNow.Count == 0)
        {
            output.Line($"{catalog} is up to date: {result.Applied.Count} migrations applied, nothing to do");
        }
        else
        {
            output.Line($"{catalog}: applied {result.AppliedNow.Count} migrations:");
            foreach (var name in result.AppliedNow)
            {
                output.Line($"  applied  {name}");
            }
        }

        if (result.Unknown.Count > 0)
        {
            output.Warning($"{catalog} has {result.Unknown.Count} migrations this drorch does not know (a newer version applied them): {string.Join(", ", result.Unknown)}");
        }
    }
}
