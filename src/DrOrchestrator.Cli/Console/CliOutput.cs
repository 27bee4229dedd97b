using DrOrchestrator.Orchestration.Contracts;
using Spectre.Console;

namespace DrOrchestrator.Cli.Console;

/// <summary>
/// Everything the CLI prints goes through here: results to stdout, one-line errors to stderr,
/// progress bars only when stdout is a terminal (otherwise a plain, greppable line on stderr
/// every few seconds, so cron mails and CI logs stay readable and stdout stays clean for --json).
/// </summary>
public sealed class CliOutput
{
    private readonly TextWriter _out;
    private readonly TextWriter _error;

    public CliOutput(TextWriter? output = null, TextWriter? error = null, bool? interactive = null, bool quiet = false)
    {
        _out = output ?? System.Console.Out;
        _error = error ?? System.Console.Error;
        IsInteractive = interactive ?? (!System.Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive);
        Quiet = quiet;
    }

    public bool IsInteractive { get; }

    /// <summary>`--quiet`: results and errors only (no progress, no warnings).</summary>
    public bool Quiet { get; }

    public void Line(string text = "") => _out.WriteLine(text);

    /// <summary>A line in <paramref name="colour"/> (a Spectre colour name) on a terminal, plain otherwise.</summary>
    public void Coloured(string text, string colour)
    {
        if (IsInteractive && ReferenceEquals(_out, System.Console.Out))
        {
            AnsiConsole.MarkupLine($"[{colour}]{Markup.Escape(text)}[/]");
        }
        else
        {
            _out.WriteLine(text);
        }
    }

    public void Warning(string text)
    {
        if (!Quiet)
        {
            _error.WriteLine($"drorch: warning: {text}");
        }
    }

    /// <summary>Details under an error line (--verbose only): stderr, unprefixed.</summary>
    public void Detail(string text) => _error.WriteLine(text);

    /// <summary>The one-line reason for a non-zero exit.</summary>
    public void Error(string text) => _error.WriteLine($"drorch: error: {text}");

    /// <summary>
    /// Runs <paramref name="work"/> while showing its progress: on a terminal a live bar by bytes
    /// with the current file, a smoothed rate and the time left; otherwise a plain line every
    /// few seconds; nothing with --quiet. <paramref name="unit"/> names what Files counts.
    /// </summary>
    public async Task<T> WithProgressAsync<T>(string title, Func<IProgress<ProgressSample>, Task<T>> work, string unit = "file")
    {
        ArgumentNullException.ThrowIfNull(work);
        if (Quiet)
        {
            return await work(new Progress<ProgressSample>()).ConfigureAwait(false);
        }

        var display = new ProgressDisplay(unit);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (!IsInteractive)
        {
            return await work(new PlainProgress(_error, title, display, clock)).ConfigureAwait(false);
        }

        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new ProgressBarColumn { Width = 24 }, new PercentageColumn(), new TaskDescriptionColumn { Alignment = Justify.Left })
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: 1);
                task.IsIndeterminate = true;
                var bar = new LiveProgress(report =>
                {
                    display.Add(report, clock.Elapsed.TotalSeconds);
                    if (report.TotalBytes is > 0 and var total)
                    {
                        task.IsIndeterminate = false;
                        task.MaxValue = total;
                    }

                    task.Value = Math.Min(report.Bytes, task.MaxValue);
                    task.Description = Markup.Escape($"{title}: {display.Describe(maxCurrentLength: 32)}");
                });
                result = await work(bar).ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return result;
    }

    /// <summary>Updates the bar on the reporting thread (Spectre's task is thread-safe; Progress&lt;T&gt; would queue updates behind the work).</summary>
    private sealed class LiveProgress(Action<ProgressSample> update) : IProgress<ProgressSample>
    {
        public void Report(ProgressSample value) => update(value);
    }

    private sealed class PlainProgress(TextWriter output, string title, ProgressDisplay display, System.Diagnostics.Stopwatch clock) : IProgress<ProgressSample>
    {
        private long _lastTicks = Environment.TickCount64;

        public void Report(ProgressSample value)
        {
            display.Add(value, clock.Elapsed.TotalSeconds);
            var now = Environment.TickCount64;
            if (now - Interlocked.Read(ref _lastTicks) < 10_000)
            {
                return;
            }

            Interlocked.Exchange(ref _lastTicks, now);
            output.WriteLine($"{title}: {display.Describe()}");
        }
    }
}
