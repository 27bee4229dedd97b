using System.Data.Common;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Catalog.Configuration;

/// <summary>Start-up checks of <see cref="CatalogOptions"/>, one clear line per problem, naming the key.</summary>
public sealed class CatalogOptionsValidator : IValidateOptions<CatalogOptions>
{
    /// <summary>The one message for a provider we do not have, whichever check meets it first.</summary>
    internal static string UnsupportedProvider(string provider) => $"Catalog:Provider '{provider}' is not supported (use Sqlite or Postgres)";

    public ValidateOptionsResult Validate(string? name, CatalogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Provider))
        {
            failures.Add(UnsupportedProvider(options.Provider.ToString()));
        }

        if (options.BusyTimeoutSeconds is < 0 or > 3600)
        {
            failures.Add($"Catalog:BusyTimeoutSeconds {options.BusyTimeoutSeconds} is out of range 0-3600");
        }

        if (options.Provider == CatalogProvider.Postgres)
        {
            ValidatePostgres(options, failures);
        }
        else if (options.Provider == CatalogProvider.Sqlite && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            // No silent default: a catalog created in whatever the working directory happens to be
            // is found by nobody afterwards (issue 13).
            failures.Add("Catalog:ConnectionString is required (e.g. Data Source=data/catalog.db)");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidatePostgres(CatalogOptions options, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add("Catalog:ConnectionString is required when Catalog:Provider is Postgres (e.g. Host=db;Database=drorch;Username=drorch)");
            return;
        }

        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = options.ConnectionString;
        }
        catch (ArgumentException)
        {
            // The message could echo the string; it may hold a secret the admin pasted by mistake.
            failures.Add("Catalog:ConnectionString is not a valid connection string");
            return;
        }

        if (builder.ContainsKey("Password") || builder.ContainsKey("Pwd"))
        {
            failures.Add("Catalog:ConnectionString must not contain a password; put it in an environment variable and name it in Catalog:PasswordEnvironmentVariable");
        }

        if (!string.IsNullOrWhiteSpace(options.PasswordEnvironmentVariable)
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(options.PasswordEnvironmentVariable)))
        {
            failures.Add($"Catalog:PasswordEnvironmentVariable names '{options.PasswordEnvironmentVariable}', which is not set");
        }
    }
}
