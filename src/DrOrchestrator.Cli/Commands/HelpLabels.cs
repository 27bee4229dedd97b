using System.CommandLine;
using System.CommandLine.Help;
using System.Text.RegularExpressions;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// The command list of a help text shows a command's arguments as that command's own help does:
/// an optional argument in brackets (`snapshots [&lt;policy&gt;]`), where System.CommandLine's list
/// shows every argument as required (its help builder cannot be customised in 2.0).
/// </summary>
public static partial class HelpLabels
{
    /// <summary>True when <paramref name="parsed"/> asks for help (then <see cref="Write"/> prints it).</summary>
    public static bool IsHelp(ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        return parsed.Action is HelpAction;
    }

    /// <summary>Prints the help of the parsed command with the labels of its command list corrected.</summary>
    public static int Write(ParseResult parsed, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        ArgumentNullException.ThrowIfNull(output);
        var buffer = new StringWriter();
        var exit = parsed.Invoke(new InvocationConfiguration { Output = buffer });
        output.Write(Relabel(buffer.ToString(), parsed.CommandResult.Command));
        return exit;
    }

    /// <summary>The help text with each row of its "Commands:" section labelled by <see cref="Label"/>, columns re-aligned.</summary>
    public static string Relabel(string help, Command command)
    {
        ArgumentNullException.ThrowIfNull(help);
        ArgumentNullException.ThrowIfNull(command);
        var lines = help.Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimEnd('\r') == "Commands:");
        if (start < 0)
        {
            return help;
        }

        var rows = new List<(int Line, string Label, string Description)>();
        for (var i = start + 1; i < lines.Length && Row().Match(lines[i].TrimEnd('\r')) is { Success: true } row; i++)
        {
            var name = row.Groups["label"].Value.Split(' ')[0];
            var sub = command.Subcommands.FirstOrDefault(c => c.Name == name);
            rows.Add((i, sub is null ? row.Groups["label"].Value : Label(sub), row.Groups["description"].Value));
        }

        var width = rows.Count == 0 ? 0 : rows.Max(r => r.Label.Length);
        foreach (var (line, label, description) in rows)
        {
            lines[line] = $"  {label.PadRight(width)}  {description}";
        }

        return string.Join('\n', lines);
    }

    /// <summary>"snapshots [&lt;policy&gt;]", "backup &lt;policy&gt;": the name and the arguments, optional ones in brackets.</summary>
    public static string Label(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var arguments = command.Arguments.Where(a => !a.Hidden)
            .Select(a => a.Arity.MinimumNumberOfValues == 0 ? $"[<{a.Name}>]" : $"<{a.Name}>");
        return string.Join(' ', arguments.Prepend(command.Name));
    }

    [GeneratedRegex(@"^  (?<label>\S.*?)\s{2,}(?<description>\S.*)$")]
    private static partial Regex Row();
}
