using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace DrOrchestrator.Orchestration.Configuration;

/// <summary>
/// Binds a configuration section to typed options, turning the binder's
/// <see cref="InvalidOperationException"/> ("Failed to convert configuration value at
/// 'Targets:local:Retry:MaxAttempts' to type 'System.Int32'") into a
/// <see cref="ConfigurationException"/> that names the file, the field and the value: a typo in
/// appsettings.json is invalid input (exit 2), not a crash (exit 1).
/// </summary>
public static partial class ConfigurationBinding
{
    [GeneratedRegex(@" at '(?<path>[^']+)' to type '(?<type>[^']+)'", RegexOptions.CultureInvariant)]
    private static partial Regex ConversionFailure();

    /// <summary>The section bound to a new <typeparamref name="T"/> (defaults when the section is absent).</summary>
    /// <exception cref="ConfigurationException">A value does not convert to its field's type.</exception>
    public static T Bind<T>(IConfiguration configuration, IConfigurationSection section)
        where T : new()
    {
        try
        {
            return section.Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            throw Translate(configuration, section.Path, ex);
        }
    }

    /// <summary>The binder's failure under <paramref name="sectionPath"/> as a one-line configuration problem.</summary>
    public static ConfigurationException Translate(IConfiguration configuration, string sectionPath, InvalidOperationException ex)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(ex);
        return new ConfigurationException($"{ConfigurationLoader.FileName(configuration)}: {Describe(configuration, sectionPath, ex)}", ex);
    }

    private static string Describe(IConfiguration configuration, string sectionPath, InvalidOperationException ex)
    {
        var match = ConversionFailure().Match(ex.Message);
        if (!match.Success)
        {
            return $"{sectionPath}: {ex.Message}";
        }

        var path = match.Groups["path"].Value;
        var type = match.Groups["type"].Value;
        var expected = type switch
        {
            "System.Int32" or "System.Int64" => "a whole number",
            "System.Boolean" => "true or false",
            "System.TimeSpan" => "a time span such as 00:00:30",
            "System.Double" => "a number",
            _ when type.Contains('.', StringComparison.Ordinal) => $"a {type[(type.LastIndexOf('.') + 1)..]}",
            _ => $"a {type}",
        };
        var value = configuration[path];
        return value is null ? $"{path}: expected {expected}" : $"{path}: '{Shorten(value)}' is not {expected}";
    }

    private static string Shorten(string value) => value.Length <= 60 ? value : value[..60] + "…";
}
