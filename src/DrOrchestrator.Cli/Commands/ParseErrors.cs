using System.CommandLine;
using System.CommandLine.Invocation;
using DrOrchestrator.Cli.Console;

namespace DrOrchestrator.Cli.Commands;

/// <summary>
/// A command line that does not parse: one `drorch: error:` line (the first problem, with a
/// "did you mean" for a mistyped command or option) and exit 2, instead of System.CommandLine's
/// problem list followed by the whole help text and exit 1.
/// </summary>
public static class ParseErrors
{
    /// <summary>True when <paramref name="parsed"/> would run System.CommandLine's own error action.</summary>
    public static bool Failed(ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        return parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction;
    }

    public static int Report(ParseResult parsed, CliOutput output)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        ArgumentNullException.ThrowIfNull(output);
        output.Error(Describe(parsed));
        return ExitCodes.InvalidInput;
    }

    /// <summary>The one line for the first problem of the command line.</summary>
    public static string Describe(ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        var command = parsed.CommandResult.Command;
        var path = CommandPath(parsed);
        var help = $"see `{path} --help`";
        if (parsed.UnmatchedTokens.Count > 0)
        {
            var token = parsed.UnmatchedTokens[0];
            if (token.StartsWith('-'))
            {
                var suggestion = Closest(token, OptionNames(parsed));
                return $"unknown option '{token}' for `{path}`{DidYouMean(suggestion)}; {help}";
            }

            // `drorch pruen quickstart`: the mistyped word stands before the command that did parse,
            // so it was meant as a command of the parent, not as an argument of the later command.
            if (StandsBeforeItsCommand(parsed, token) && parsed.CommandResult.Parent is System.CommandLine.Parsing.CommandResult parent)
            {
                command = parent.Command;
                path = CommandPath(parent);
                help = $"see `{path} --help`";
            }

            if (command.Subcommands.Count > 0)
            {
                var suggestion = Closest(token, command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
                return $"unknown command '{token}'{(path == "drorch" ? "" : $" for `{path}`")}{DidYouMean(suggestion)}; {help}";
            }

            return $"unexpected argument '{token}' for `{path}`; {help}";
        }

        if (parsed.Errors[0].Message == "Required command was not provided." && command.Subcommands.Count > 0)
        {
            return $"`{path}` needs a command: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}; {help}";
        }

        var message = parsed.Errors[0].Message.TrimEnd('.');
        return $"{message}; {help}";
    }

    private static bool StandsBeforeItsCommand(ParseResult parsed, string token)
    {
        var commandToken = parsed.CommandResult.IdentifierToken;
        for (var i = 0; i < parsed.Tokens.Count; i++)
        {
            if (ReferenceEquals(parsed.Tokens[i], commandToken))
            {
                return false;
            }

            if (parsed.Tokens[i].Value == token)
            {
                return true;
            }
        }

        return false;
    }

    private static string CommandPath(ParseResult parsed) => CommandPath(parsed.CommandResult);

    private static string CommandPath(System.CommandLine.Parsing.CommandResult innermost)
    {
        var names = new List<string>();
        for (var result = innermost; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(result.Command is RootCommand ? "drorch" : result.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>The options valid at this point: the command's own and the recursive ones of its parents.</summary>
    private static IEnumerable<string> OptionNames(ParseResult parsed)
    {
        var own = parsed.CommandResult.Command.Options.Where(o => !o.Hidden);
        var inherited = new List<Option>();
        for (var result = parsed.CommandResult.Parent as System.CommandLine.Parsing.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            inherited.AddRange(result.Command.Options.Where(o => o.Recursive && !o.Hidden));
        }

        return own.Concat(inherited).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal));
    }

    private static string DidYouMean(string? suggestion) => suggestion is null ? "" : $" (did you mean '{suggestion}'?)";

    /// <summary>The candidate closest to <paramref name="typed"/>, when close enough to be a typo.</summary>
    public static string? Closest(string typed, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(typed);
        ArgumentNullException.ThrowIfNull(candidates);
        var limit = Math.Max(1, typed.TrimStart('-').Length / 3);
        return candidates
            .Select(c => (Name: c, Distance: EditDistance(typed, c)))
            .Where(c => c.Distance <= limit || (typed.Length >= 3 && c.Name.StartsWith(typed, StringComparison.Ordinal)))
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => c.Name)
            .FirstOrDefault();
    }

    /// <summary>Edit distance where swapping two neighbouring letters counts as one typo (optimal string alignment).</summary>
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(d[i - 1, j - 1] + cost, Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
