namespace DrOrchestrator.Storage.Local;

/// <summary>Configuration of a local (or mounted) directory target: <c>Targets:&lt;name&gt;</c> with <c>Type: local</c>.</summary>
public sealed class LocalTargetOptions
{
    /// <summary>Absolute path of the repository directory. Created on first write if missing.</summary>
    public string Path { get; set; } = "";

    /// <summary>Problems, each naming the field and value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            return ["Path: must be set to the absolute path of the repository directory."];
        }

        // A service's working directory is rarely what the admin meant, so relative paths are refused.
        if (Path.Contains('\0', StringComparison.Ordinal) || !System.IO.Path.IsPathFullyQualified(Path))
        {
            return [$"Path: must be an absolute directory path (got '{Path}')."];
        }

        return [];
    }
}
