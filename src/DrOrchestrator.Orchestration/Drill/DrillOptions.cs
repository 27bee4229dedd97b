using Microsoft.Extensions.Options;

namespace DrOrchestrator.Orchestration.Drill;

/// <summary>The <c>Drill</c> section: where drills restore to and how sampled drills rotate.</summary>
public sealed class DrillOptions
{
    public const string SectionName = "Drill";

    /// <summary>
    /// Folder under which every drill creates its sandbox (<c>drill-PID-START-RANDOM</c>); relative
    /// to the configuration file. Default: <c>drorch-drills</c> in the system temp folder.
    /// </summary>
    public string Root { get; set; } = Path.Combine(Path.GetTempPath(), "drorch-drills");

    /// <summary>
    /// Sampled drills still verify every file of a policy on a target fully at least once per this
    /// many days (the rolling schedule kept in the catalog).
    /// </summary>
    public double FullVerificationDays { get; set; } = 30;

    public TimeSpan FullVerificationPeriod => TimeSpan.FromDays(FullVerificationDays);
}

/// <summary>Start-up checks of <see cref="DrillOptions"/>, one line per problem naming the key.</summary>
public sealed class DrillOptionsValidator : IValidateOptions<DrillOptions>
{
    public ValidateOptionsResult Validate(string? name, DrillOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Root))
        {
            failures.Add("Drill:Root must name a folder for drill sandboxes");
        }

        if (options.FullVerificationDays is not (> 0 and <= 3650))
        {
            failures.Add($"Drill:FullVerificationDays {options.FullVerificationDays} is out of range (more than 0, at most 3650)");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
