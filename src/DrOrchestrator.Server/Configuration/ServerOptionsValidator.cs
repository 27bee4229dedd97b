using System.Globalization;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Server.Configuration;

/// <summary>Start-up checks of <see cref="ServerOptions"/>; every failure names the key and the value.</summary>
public sealed class ServerOptionsValidator : IValidateOptions<ServerOptions>
{
    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Urls.Count == 0)
        {
            failures.Add("Server:Urls: at least one listen URL is needed (e.g. http://127.0.0.1:8080)");
        }

        for (int i = 0; i < options.Urls.Count; i++)
        {
            var url = options.Urls[i];
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                failures.Add($"Server:Urls:{i}: '{url}' is not an http(s) URL");
            }
            else if (uri.Scheme == "https" && string.IsNullOrWhiteSpace(options.CertificateFile))
            {
                failures.Add($"Server:Urls:{i}: '{url}' is https but Server:CertificateFile is not set");
            }
        }

        Positive(failures, "PolicyPollSeconds", options.PolicyPollSeconds);
        Positive(failures, "MisfireGraceSeconds", options.MisfireGraceSeconds);
        Positive(failures, "RpoCheckSeconds", options.RpoCheckSeconds);
        Positive(failures, "FireHistoryDays", options.FireHistoryDays);
        Positive(failures, "ShutdownGraceSeconds", options.ShutdownGraceSeconds);
        Positive(failures, "WorkerCount", options.WorkerCount);
        Positive(failures, "ClusterCheckinSeconds", options.ClusterCheckinSeconds);
        Positive(failures, "JobInvisibilityTimeoutSeconds", options.JobInvisibilityTimeoutSeconds);
        if (options.PruneIntervalMinutes < 0)
        {
            failures.Add($"Server:PruneIntervalMinutes: {options.PruneIntervalMinutes.ToString(CultureInfo.InvariantCulture)} must be 0 (after every backup) or more");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < options.ApiKeys.Count; i++)
        {
            ValidateKey(failures, i, options.ApiKeys[i], names);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateKey(List<string> failures, int index, ApiKeyOptions key, HashSet<string> names)
    {
        var at = $"Server:ApiKeys:{index}";
        if (string.IsNullOrWhiteSpace(key.Name))
        {
            failures.Add($"{at}:Name: every API key needs a name");
        }
        else if (!names.Add(key.Name))
        {
            failures.Add($"{at}:Name: '{key.Name}' is used twice");
        }

        int sources = (key.EnvironmentVariable is null ? 0 : 1) + (key.File is null ? 0 : 1) + (key.Sha256 is null ? 0 : 1);
        if (sources != 1)
        {
            failures.Add($"{at}: set exactly one of EnvironmentVariable, File, Sha256 (the key is never written in the configuration)");
        }
        else if (key.Sha256 is { } hash && (hash.Length != 64 || !hash.All(Uri.IsHexDigit)))
        {
            failures.Add($"{at}:Sha256: expected 64 hex digits (sha256sum of the key)");
        }
    }

    private static void Positive(List<string> failures, string key, int value)
    {
        if (value < 1)
        {
            failures.Add($"Server:{key}: {value.ToString(CultureInfo.InvariantCulture)} must be at least 1");
        }
    }
}
