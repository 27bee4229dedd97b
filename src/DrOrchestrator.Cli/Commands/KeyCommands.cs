using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Targets;

namespace DrOrchestrator.Cli.Commands;

/// <summary>`drorch key generate FILE`: a new repository key, mode 0600, never over an existing file.</summary>
public static class KeyCommands
{
    public static Command Build(CliOutput? output)
    {
        var key = new Command("key", "Repository keys");
        var file = new Argument<string>("file") { Description = "Key file to create (must not exist)" };
        var generate = new Command("generate", "Write a new random repository key to FILE (mode 0600; an existing file is never overwritten)") { file };
        CommandTree.SetAction(generate, output, (context, _) =>
        {
            var path = Path.GetFullPath(context.ParseResult.GetRequiredValue(file));
            RepositoryKeyFile.CreateNew(path);
            context.Output.Line($"wrote a new repository key to {path} (mode 0600)");
            context.Output.Line($"use it with \"RepositoryKey\": {{ \"File\": \"{path}\" }}; keep a copy somewhere safe: without it no backup can be restored");
            return Task.FromResult(ExitCodes.Success);
        });
        key.Subcommands.Add(generate);
        return key;
    }
}
