using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Server.Work;

/// <summary>
/// <c>Targets:&lt;name&gt;:MaxConcurrentRuns</c>: how many jobs (backups, copies, restores) may use a
/// target at once across the whole service — a slow NAS or a throttled bucket serves two
/// backups well and ten badly. Unset = unlimited. Read and checked at start-up.
/// </summary>
public sealed class TargetConcurrencyLimits
{
    public const string SettingName = "MaxConcurrentRuns";

    private readonly Dictionary<string, int> _limits;

    public TargetConcurrencyLimits(IReadOnlyDictionary<string, int> limits)
    {
        _limits = new Dictionary<string, int>(limits, StringComparer.Ordinal);
    }

    public IReadOnlyDictionary<string, int> Limits => _limits;

    /// <summary>The target's limit, or null when it has none.</summary>
    public int? LimitOf(string target) => _limits.TryGetValue(target, out var limit) ? limit : null;

    /// <exception cref="OptionsValidationException">A value that is not a whole number of at least 1, named by key.</exception>
    public static TargetConcurrencyLimits Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var limits = new Dictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<string>();
        foreach (var target in configuration.GetSection("Targets").GetChildren())
        {
            if (target[SettingName] is not { } text)
            {
                continue;
            }

            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int limit) && limit >= 1)
            {
                limits[target.Key] = limit;
            }
            else
            {
                failures.Add($"Targets:{target.Key}:{SettingName}: '{text}' must be a whole number of at least 1 (leave it out for no limit)");
            }
        }

        return failures.Count == 0
            ? new TargetConcurrencyLimits(limits)
            : throw new OptionsValidationException(SettingName, typeof(TargetConcurrencyLimits), failures);
    }
}
