using System.CommandLine;
using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Check;
using DrOrchestrator.Orchestration.Contracts;

namespace DrOrchestrator.Cli.Commands;

/// <summary>`drorch check &lt;target&gt; [--read-data]`: exit 1 when any error is found.</summary>
public static class CheckCommand
{
    /// <summary>Remembers the newest progress sample (what a data check read in all) and passes samples on.</summary>
    private sealed class LastSample
    {
        public ProgressSample? Last { get; private set; }

        public IProgress<ProgressSample> Wrap(IProgress<ProgressSample> inner) => new Recorder(this, inner);

        private sealed class Recorder(LastSample owner, IProgress<ProgressSample> inner) : IProgress<ProgressSample>
        {
            public void Report(ProgressSample value)
            {
                lock (owner)
                {
                    // Reports come from parallel readers: the furthest one is the total.
                    if (owner.Last is not { } last || value.Bytes >= last.Bytes)
                    {
                        owner.Last = value;
                    }
                }

                inner.Report(value);
            }
        }
    }

    public static Command Build(CliOutput? output)
    {
        var target = new Argument<string>("target") { Description = "Target name from the configuration" };
        var readData = new Option<bool>("--read-data") { Description = "Download every pack, decrypt and re-hash every chunk" };
        var json = new Option<bool>("--json") { Description = "One JSON object per finding, then a summary object" };
        var command = new Command("check", "Verify a target's repository: structure, and with --read-data every byte") { target, readData, json };
        CommandTree.SetAction(command, output, async (context, ct) =>
        {
            var name = context.ParseResult.GetRequiredValue(target);
            var asJson = context.ParseResult.GetValue(json);
            var withData = context.ParseResult.GetValue(readData);
            var service = context.Get<TargetCheckService>();
            var tally = new CheckTally(name);
            void Print(CheckFindingInfo finding) => context.Output.Line(asJson ? ContractJson.Serialize(finding) : finding.Text);

            // On a terminal the live bar owns the screen while data is read: findings wait for it.
            async Task<List<CheckFindingInfo>> RunAsync(IProgress<ProgressSample>? progress, bool hold)
            {
                var held = new List<CheckFindingInfo>();
                await foreach (var finding in service.CheckFindingsAsync(name, withData, progress, ct).ConfigureAwait(false))
                {
                    tally.Add(finding);
                    if (hold)
                    {
                        held.Add(finding);
                    }
                    else
                    {
                        Print(finding);
                    }
                }

                return held;
            }

            var read = new LastSample();
            if (withData && !asJson)
            {
                var held = await context.Output.WithProgressAsync($"check {name}", progress => RunAsync(read.Wrap(progress), context.Output.IsInteractive && !context.Output.Quiet), unit: "pack").ConfigureAwait(false);
                held.ForEach(Print);
            }
            else
            {
                await RunAsync(null, hold: false).ConfigureAwait(false);
            }

            var summary = tally.Summary;
            context.Output.Line(asJson ? ContractJson.Serialize(summary) : summary.ToString());
            if (withData && !asJson)
            {
                var last = read.Last ?? default;
                context.Output.Line($"read data: {Format.Count(last.Files, "pack")}, {Format.Bytes(last.Bytes)} downloaded, decrypted and re-hashed");
            }

            if (summary.Errors > 0)
            {
                context.Output.Error($"{summary} — the repository on {name} is damaged");
                return ExitCodes.Failure;
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
