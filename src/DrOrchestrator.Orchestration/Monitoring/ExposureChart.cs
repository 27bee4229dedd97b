using System.Globalization;
using System.Net;
using System.Text;

namespace DrOrchestrator.Orchestration.Monitoring;

/// <summary>
/// An inline SVG of one policy's RPO exposure over the profile window, one saw-tooth line per
/// target and the RPO target as a dashed horizontal line. Plain SVG: no script, no front-end build.
/// </summary>
public static class ExposureChart
{
    private const int Width = 720;
    private const int Height = 220;
    private const int Left = 56;
    private const int Right = 12;
    private const int Top = 12;
    private const int Bottom = 28;
    private static readonly string[] Colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"];

    public static string Render(PolicyObjectives policy, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var maxExposure = policy.Targets.SelectMany(t => t.ExposureProfile).Select(s => s.Exposure?.TotalHours ?? 0).DefaultIfEmpty(0).Max();
        var yMax = Math.Max(maxExposure, policy.Rpo.TotalHours * 1.5);
        var span = Math.Max((to - from).TotalSeconds, 1);
        double X(DateTimeOffset at) => Left + ((at - from).TotalSeconds / span * (Width - Left - Right));
        double Y(double hours) => Top + ((1 - (hours / yMax)) * (Height - Top - Bottom));

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" class="exposure-chart" data-policy="{Encode(policy.Policy)}" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}" role="img" aria-label="RPO exposure of {Encode(policy.Policy)}">""");
        svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{Left}" y="{Top}" width="{Width - Left - Right}" height="{Height - Top - Bottom}" fill="#fafafa" stroke="#ccc"/>""");
        foreach (var fraction in new[] { 0.0, 0.5, 1.0 })
        {
            var hours = yMax * fraction;
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left - 4}" y="{Y(hours) + 4:0.#}" text-anchor="end" font-size="11">{hours:0.#} h</text>""");
        }

        for (var day = 0; day <= 7; day++)
        {
            var at = to - TimeSpan.FromDays(7 - day);
            if (at >= from)
            {
                svg.Append(CultureInfo.InvariantCulture, $"""<text x="{X(at):0.#}" y="{Height - 8}" text-anchor="{(day == 7 ? "end" : "middle")}" font-size="11">{at.UtcDateTime:MM-dd}</text>""");
            }
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<line class="rpo-target" x1="{Left}" x2="{Width - Right}" y1="{Y(policy.Rpo.TotalHours):0.##}" y2="{Y(policy.Rpo.TotalHours):0.##}" stroke="#d62728" stroke-dasharray="6 4"><title>RPO target {Encode(ObjectivesFormat.Duration(policy.Rpo))}</title></line>""");
        var colour = 0;
        foreach (var target in policy.Targets)
        {
            var stroke = Colours[colour++ % Colours.Length];
            // Stretches without any complete recovery point (null exposure) are gaps in the line.
            var runs = new List<List<string>> { new() };
            foreach (var sample in target.ExposureProfile)
            {
                if (sample.Exposure is { } exposure)
                {
                    runs[^1].Add(string.Create(CultureInfo.InvariantCulture, $"{X(sample.At):0.##},{Y(exposure.TotalHours):0.##}"));
                }
                else if (runs[^1].Count > 0)
                {
                    runs.Add([]);
                }
            }

            foreach (var run in runs.Where(r => r.Count > 0))
            {
                svg.Append(CultureInfo.InvariantCulture, $"""<polyline class="exposure" data-target="{Encode(target.Target)}" fill="none" stroke="{stroke}" stroke-width="2" points="{string.Join(' ', run)}"/>""");
            }

            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left + 8 + ((colour - 1) * 120)}" y="{Top + 14}" font-size="11" fill="{stroke}">■ {Encode(target.Target)}</text>""");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
