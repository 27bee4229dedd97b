using DrOrchestrator.Core.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Core.Storage.Targets;

/// <summary>
/// The one registration every backend uses: for each <c>Targets:&lt;name&gt;</c> section of its
/// type, named options bound from the section, adjusted (paths made absolute), and validated at
/// start-up with one line per problem naming the file, the target and the field.
/// </summary>
public static class TargetBackendRegistration
{
    public const string TargetsSection = "Targets";

    /// <summary>The sections under <c>Targets</c> whose <c>Type</c> is <paramref name="type"/> (case-insensitive, trimmed).</summary>
    public static IEnumerable<IConfigurationSection> SectionsOfType(IConfiguration configuration, string type)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.GetSection(TargetsSection).GetChildren()
            .Where(s => string.Equals(s["Type"]?.Trim(), type, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The one-line form of a target's option problem.</summary>
    public static string Problem(IConfiguration configuration, string targetName, string problem) =>
        $"{ConfigurationFile.FileName(configuration)}: {TargetsSection}:{targetName}: {problem}";

    /// <summary>
    /// Registers backend <paramref name="type"/>: named <typeparamref name="TOptions"/> per target
    /// of that type (bound, then <paramref name="adjust"/>ed, validated on start), and an
    /// <see cref="ITargetBackend"/> that opens them with <paramref name="create"/>, which is given the
    /// target's name: the store's <see cref="IObjectStore.Description"/>, so every message names the
    /// target as the admin configured it (issue 19 item 9).
    /// </summary>
    public static IServiceCollection AddTargetBackend<TOptions>(
        this IServiceCollection services,
        IConfiguration configuration,
        string type,
        Action<TOptions, IConfiguration> adjust,
        Func<TOptions, IReadOnlyList<string>> validate,
        Func<string, TOptions, IServiceProvider, IObjectStore> create)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var section in SectionsOfType(configuration, type))
        {
            names.Add(section.Key);
            services.AddOptions<TOptions>(section.Key)
                .Bind(section)
                .PostConfigure(options => adjust(options, configuration))
                .ValidateOnStart();
        }

        // TryAddEnumerable: registering a backend twice must not report each problem twice.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>>(new TargetOptionsValidator<TOptions>(configuration, names, validate)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITargetBackend, TargetBackend<TOptions>>(sp =>
            new TargetBackend<TOptions>(type, names, sp.GetRequiredService<IOptionsMonitor<TOptions>>(), configuration, sp, create)));
        return services;
    }

    private sealed class TargetOptionsValidator<TOptions>(
        IConfiguration configuration, IReadOnlySet<string> names, Func<TOptions, IReadOnlyList<string>> validate) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
        {
            if (name is null || !names.Contains(name))
            {
                return ValidateOptionsResult.Skip;
            }

            var problems = validate(options);
            return problems.Count == 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(problems.Select(p => Problem(configuration, name, p)));
        }
    }

    private sealed class TargetBackend<TOptions>(
        string type,
        IReadOnlySet<string> names,
        IOptionsMonitor<TOptions> options,
        IConfiguration configuration,
        IServiceProvider services,
        Func<string, TOptions, IServiceProvider, IObjectStore> create) : ITargetBackend
        where TOptions : class
    {
        public string Type => type;

        public IReadOnlyList<string> Validate(string targetName)
        {
            try
            {
                _ = Get(targetName);
                return [];
            }
            catch (OptionsValidationException ex)
            {
                return [.. ex.Failures];
            }
        }

        public IObjectStore Open(string targetName) => create(targetName, Get(targetName), services);

        private TOptions Get(string targetName) =>
            names.Contains(targetName)
                ? options.Get(targetName)
                : throw new OptionsValidationException(targetName, typeof(TOptions), [Problem(configuration, targetName, $"Type: is not a {type} target")]);
    }
}
