using System.Globalization;
using DrOrchestrator.Core.Prune;
using Microsoft.Extensions.Configuration;

namespace DrOrchestrator.Orchestration.Prune;

/// <summary>
/// The <c>Prune</c> section of the configuration: <c>GracePeriod</c> (a TimeSpan such as
/// "1.00:00:00" or "36:00:00"; default 24 hours) and <c>MaxUnused</c> (a percentage such as
/// "10%", or a fraction 0–1; default 10%: the unused share of the repository prune leaves, as
/// restic's <c>--max-unused</c>). See docs/decisions.md §32 for why the grace period must
/// exceed the longest backup.
/// </summary>
public static class PruneSettings
{
    public const string SectionName = "Prune";

    /// <summary>The options the configuration asks for; a problem throws with the file and field named.</summary>
    /// <exception cref="Configuration.ConfigurationException">A value that cannot be read or is out of range.</exception>
    public static PruneOptions Read(IConfiguration configuration)
    {
        var problems = new List<string>();
        var options = Read(configuration, Configuration.ConfigurationLoader.FileName(configuration), problems);
        return problems.Count == 0 ? options : throw new Configuration.ConfigurationException(problems);
    }

    /// <summary>Adds one line per problem of the section to <paramref name="problems"/> (start-up validation).</summary>
    public static PruneOptions Read(IConfiguration configuration, string file, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(problems);
        var section = configuration.GetSection(SectionName);
        var options = new PruneOptions();
        if (section["GracePeriod"] is { } graceText)
        {
            if (TimeSpan.TryParse(graceText, CultureInfo.InvariantCulture, out var grace) && grace >= TimeSpan.Zero)
            {
                options = options with { GracePeriod = grace };
            }
            else
            {
                problems.Add($"{file}: Prune:GracePeriod: '{graceText}' is not a non-negative duration (e.g. \"1.00:00:00\" for 24 hours)");
            }
        }

        if (section["MaxUnused"] is { } unusedText)
        {
            if (TryParseFraction(unusedText, out var fraction))
            {
                options = options with { MaxUnused = fraction };
            }
            else
            {
                problems.Add($"{file}: Prune:MaxUnused: '{unusedText}' is not a percentage between 0% and 100% (e.g. \"10%\")");
            }
        }

        return options;
    }

    private static bool TryParseFraction(string text, out double fraction)
    {
        var trimmed = text.Trim();
        var percent = trimmed.EndsWith('%');
        var ok = double.TryParse(percent ? trimmed[..^1] : trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value);
        fraction = percent ? value / 100 : value;
        return ok && !double.IsNaN(fraction) && fraction is >= 0 and <= 1;
    }
}
