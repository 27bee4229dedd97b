using System.CommandLine;
using DrOrchestrator.Catalog;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Core.Policies;
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
            var service = context.Get<PolicyApplyService>();
            var problems = new List<PolicyProblem>();
            foreach (var file in context.ParseResult.GetRequiredValue(files))
            {
                var result = service.Validate(file);
                problems.AddRange(result.Problems);
                if (result.IsValid)
                {
                    context.Output.Line($"{file}: ok ({string.Join(", ", result.Policies.Select(p => p.Name))})");
                }
            }

            if (problems.Count > 0)
            {
                throw new PolicyValidationException(problems);
            }

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
                foreach (var applied in await service.ApplyAsync(file, ct).ConfigureAwait(false))
                {
                    context.Output.Line($"applied policy {applied.Name} ({string.Join(", ", applied.Targets.Select(t => $"{t.Name}:{t.Role.ToString().ToLowerInvariant()}"))})");
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List(CliOutput? output)
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output" };
        var command = new Command("list", "List the policies in the catalog") { json };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            await context.MigrateCatalogAsync(ct).ConfigureAwait(false);
            var policies = (await context.Get<CatalogStore>().ListPoliciesAsync(ct).ConfigureAwait(false)).Select(p => p.ToPolicy()).ToList();
            if (context.ParseResult.GetValue(json))
            {
                context.Output.Line(CliJson.Serialize(policies.Select(CliJson.Policy)));
                return ExitCodes.Success;
            }

            foreach (var p in policies)
            {
                context.Output.Line($"{p.Name,-20} rpo {PolicyDuration.Format(p.Rpo),-6} rto {PolicyDuration.Format(p.Rto),-6} {p.Schedule.Cron} {p.Schedule.TimeZone}  targets: {string.Join(", ", p.Targets.Select(t => $"{t.Name}:{t.Role.ToString().ToLowerInvariant()}"))}");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
