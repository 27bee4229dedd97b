using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DrOrchestrator.Core.Policies;

/// <summary>
/// Durations as admins write them: <c>90s</c>, <c>15m</c>, <c>24h</c>, <c>7d</c>, <c>1h30m</c>.
/// Units must appear in d, h, m, s order, each at most once — the Go/Prometheus style that
/// restic and Velero users already know. No fractions, no sign.
/// </summary>
public static partial class PolicyDuration
{
    [GeneratedRegex(@"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    /// <summary>Parses <paramref name="text"/>; false when it is not a duration in the format above.</summary>
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var match = Pattern().Match(text);
        if (text.Length == 0 || !match.Success)
        {
            return false;
        }

        try
        {
            long seconds = checked(Part(match, 1) * 86_400 + Part(match, 2) * 3_600 + Part(match, 3) * 60 + Part(match, 4));
            if (seconds > (long)TimeSpan.MaxValue.TotalSeconds)
            {
                return false;
            }

            value = TimeSpan.FromSeconds(seconds);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>Canonical text: largest units first, zero parts omitted (<c>1d2h</c>, <c>0s</c>).</summary>
    public static string Format(TimeSpan value)
    {
        long total = (long)value.TotalSeconds;
        if (total <= 0)
        {
            return "0s";
        }

        var text = new StringBuilder();
        Append(text, total / 86_400, 'd');
        Append(text, total % 86_400 / 3_600, 'h');
        Append(text, total % 3_600 / 60, 'm');
        Append(text, total % 60, 's');
        return text.ToString();
    }

    private static long Part(Match match, int group) =>
        match.Groups[group].Success ? long.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;

    private static void Append(StringBuilder text, long amount, char unit)
    {
        if (amount > 0)
        {
            text.Append(amount.ToString(CultureInfo.InvariantCulture)).Append(unit);
        }
    }
}
