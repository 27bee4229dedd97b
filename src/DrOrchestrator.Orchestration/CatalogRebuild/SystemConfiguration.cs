using System.Data.Common;
using DrOrchestrator.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace DrOrchestrator.Orchestration.CatalogRebuild;

/// <summary>
/// The configuration as the system record keeps it: every setting, flattened to
/// <c>Section:Key</c> → value, with secret <em>references</em> (keys ending in
/// <c>EnvironmentVariable</c> or <c>File</c>) kept and secret <em>values</em> left out — keys that
/// name a password, secret, token, hash or SAS, passwords inside connection strings, and the
/// user-info and query of URLs. What is left is what an admin would need to write the file again.
/// </summary>
public static class SystemConfiguration
{
    private static readonly string[] SecretWords = ["password", "pwd", "secret", "token", "sha256", "sas", "credential", "apikey", "accesskey", "privatekey"];

    public static SortedDictionary<string, string> Redacted(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var kept = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (value is null || key == ConfigurationFile.BaseDirectoryKey || Redact(key, value) is not { } safe)
            {
                continue;
            }

            kept[key] = safe;
        }

        return kept;
    }

    /// <summary>The value as recorded, or null when it must not be recorded at all.</summary>
    private static string? Redact(string key, string value)
    {
        var name = key[(key.LastIndexOf(':') + 1)..];
        if (name.EndsWith("EnvironmentVariable", StringComparison.OrdinalIgnoreCase) || name.EndsWith("File", StringComparison.OrdinalIgnoreCase))
        {
            return value;
        }

        if (SecretWords.Any(w => name.Contains(w, StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        if (name.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase))
        {
            return WithoutPasswords(value);
        }

        return Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.UserInfo.Length > 0 || uri.Query.Length > 0) && uri.Scheme.StartsWith("http", StringComparison.Ordinal)
            ? uri.GetLeftPart(UriPartial.Path).Replace(uri.UserInfo + "@", "", StringComparison.Ordinal)
            : value;
    }

    private static string? WithoutPasswords(string connectionString)
    {
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
            foreach (var part in builder.Keys.Cast<string>().Where(k => SecretWords.Any(w => k.Replace(" ", "", StringComparison.Ordinal).Contains(w, StringComparison.OrdinalIgnoreCase))).ToList())
            {
                builder.Remove(part);
            }

            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return null; // not parseable: it might hide anything
        }
    }
}
