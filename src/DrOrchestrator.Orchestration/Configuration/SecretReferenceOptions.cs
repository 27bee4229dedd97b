namespace DrOrchestrator.Orchestration.Configuration;

/// <summary>
/// Where a secret lives — never the secret itself. Exactly one of the two is set:
/// an environment variable name, or a file path (relative to the configuration file).
/// </summary>
public sealed class SecretReferenceOptions
{
    public string? EnvironmentVariable { get; set; }

    public string? File { get; set; }

    public bool IsEmpty => string.IsNullOrWhiteSpace(EnvironmentVariable) && string.IsNullOrWhiteSpace(File);
}
