using DrOrchestrator.Orchestration.Contracts;
using Spectre.Console;

namespace DrOrchestrator.Cli.Console;

/// <summary>
/// Everything the CLI prints goes through here: results to stdout, one-line errors to stderr,
/// progress bars only when stdout is a terminal (plain, greppable log lines otherwise, so cron
/// mails and CI logs stay readable).
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
    /// Runs <paramref name="work"/> while showing its progress: a live bar on a terminal, or a
    /// plain line every few seconds otherwise.
    /// </summary>
    public async Task<T> WithProgressAsync<T>(string title, Func<IProgress<ProgressSample>, Task<T>> work)
    {
        if (!IsInteractive)
        {
            var plain = new PlainProgress(_out, title);
            return await work(plain).ConfigureAwait(false);
        }

        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: 1);
                task.IsIndeterminate = true;
                var bar = new Progress<ProgressSample>(report =>
                {
                    if (report.TotalBytes is > 0 and var total)
                    {
                        task.IsIndeterminate = false;
                        task.MaxValue = total;
                    }

                    task.Value = Math.Min(report.Bytes, task.MaxValue);
                    task.Description = Markup.Escape($"{title} {report.Files:N0} files");
                });
                result = await work(bar).ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return result;
    }

    private sealed class PlainProgress(TextWriter output, string title) : IProgress<ProgressSample>
    {
        private long _lastTicks = Environment.TickCount64;

        public void Report(ProgressSample value)
        {
            var now = Environment.TickCount64;
            if (now - Interlocked.Read(ref _lastTicks) < 10_000)
            {
                return;
            }

            Interlocked.Exchange(ref _lastTicks, now);
            var total = value.TotalBytes is > 0 and var t ? $" of {Format.Bytes(t)}" : "";
            output.WriteLine($"{title}: {value.Files:N0} files, {Format.Bytes(value.Bytes)}{total}");
        }
    }
}
