using DrOrchestrator.Core.Sources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Sources.PostgreSql;

public static class PostgresSourceServiceCollectionExtensions
{
    /// <summary>Registers the <c>postgres</c> source type, its options (<c>Sources:Postgres</c>) and their validation at start-up.</summary>
    public static IServiceCollection AddPostgreSqlSource(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PostgresSourceOptions>()
            .Bind(configuration.GetSection(PostgresSourceOptions.Section))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresSourceOptions>, PostgresSourceOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDatabaseEngine, PostgresEngine>());
        return services;
    }
}

internal sealed class PostgresSourceOptionsValidator : IValidateOptions<PostgresSourceOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgresSourceOptions options)
    {
        var failures = options.Validate().ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
