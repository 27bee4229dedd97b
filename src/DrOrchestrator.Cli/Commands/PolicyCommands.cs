using System.CommandLine;
using DrOrchestrator.Cli.Commands.Remote;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Policies;

namespace DrOrchestrator.Cli.Commands;

/// <summary>`drorch policy validate|apply|list`.</summary>
public static class PolicyCommands
{
    public static Command Build(CliOutput? output)
    {
        var policy = new Command("policy", "Validate, apply and list backup policies");
        policy.Subcommands.Add(Validate(output));
        policy.Subcommands.Add(Apply(output));
        policy.Subcommands.Add(List(output));
        return policy;
    }

    private static Command Validate(CliOutput? output)
    {
        var files = new Argument<string[]>("file") { Description = "Policy YAML file(s)", Arity = ArgumentArity.OneOrMore };
        var command = new Command("validate", "Check policy files; every problem is printed as file:line: field: message (exit 2)") { files };
        CommandTree.SetAction(command, output, (context, _) =>
        {
            var validation = context.Get<PolicyApplyService>().ValidateFiles(context.ParseResult.GetRequiredValue(files));
            foreach (var file in validation.Valid)
            {
                context.Output.Line($"{file.File}: ok ({string.Join(", ", file.Policies)})");
            }

            validation.ThrowIfInvalid();
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Command Apply(CliOutput? output)
    {
        var files = new Argument<string[]>("file") { Description = "Policy YAML file(s)", Arity = ArgumentArity.OneOrMore };
        var command = new Command("apply", "Validate policy files and store them in the catalog (all or nothing per file)") { files };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
            var service = context.Get<PolicyApplyService>();
            foreach (var file in context.ParseResult.GetRequiredValue(files))
            {
                foreach (var applied in await service.ApplyFileAsync(file, ct).ConfigureAwait(false))
                {
                    context.Output.Line($"applied policy {applied.Name} ({string.Join(", ", applied.Targets)})");
                }
            }

            return ExitCodes.Success;
        }, (context, client, ct) => RemoteCommands.ApplyAsync(context.Output, client, context.ParseResult.GetRequiredValue(files), ct));
        return command;
    }

    private static Command List(CliOutput? output)
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output" };
        var command = new Command("list", "List the policies in the catalog") { json };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
            var policies = await context.Get<PolicyApplyService>().ListAsync(ct).ConfigureAwait(false);
            if (context.ParseResult.GetValue(json))
            {
                context.Output.Line(ContractJson.Serialize(policies));
                return ExitCodes.Success;
            }

            foreach (var p in policies)
            {
                context.Output.Line($"{p.Name,-20} rpo {p.RpoText,-6} rto {p.RtoText,-6} {p.Cron} {p.TimeZone}  targets: {string.Join(", ", p.Targets)}");
            }

            return ExitCodes.Success;
        }, (context, client, ct) => RemoteCommands.ListPoliciesAsync(context.Output, client, context.ParseResult.GetValue(json), ct));
        return command;
    }
}
