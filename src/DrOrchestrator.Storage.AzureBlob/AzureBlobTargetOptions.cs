using System.Text.RegularExpressions;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Http;

namespace DrOrchestrator.Storage.AzureBlob;

/// <summary>
/// Configuration of an Azure Blob Storage target: <c>Targets:&lt;name&gt;</c> with <c>Type: azure</c>.
/// Exactly one way to authenticate: <see cref="ConnectionStringEnvironmentVariable"/>,
/// <see cref="SasUrlEnvironmentVariable"/>, or <see cref="ServiceUri"/> with DefaultAzureCredential
/// (managed identity, workload identity, Azure CLI…). Secrets live only in environment variables.
/// </summary>
public sealed partial class AzureBlobTargetOptions
{
    public string Container { get; set; } = "";

    /// <summary>Blob-name prefix of the repository inside the container ("" = container root).</summary>
    public string Prefix { get; set; } = "";

    /// <summary>Access tier of new blobs: Hot, Cool or Cold; null = account default.</summary>
    public string? AccessTier { get; set; }

    /// <summary>Name of the environment variable holding a storage connection string.</summary>
    public string? ConnectionStringEnvironmentVariable { get; set; }

    /// <summary>Name of the environment variable holding a container (or account) SAS URL.</summary>
    public string? SasUrlEnvironmentVariable { get; set; }

    /// <summary>Blob service endpoint, e.g. https://account.blob.core.windows.net, used with DefaultAzureCredential.</summary>
    public string? ServiceUri { get; set; }

    /// <summary>Block size in MiB for staged uploads (1–100); also the memory per in-flight block.</summary>
    public int BlockSizeMiB { get; set; } = 8;

    /// <summary>Blocks of one blob uploaded in parallel (1–16).</summary>
    public int ParallelBlocks { get; set; } = 4;

    /// <summary>
    /// A seekable upload (a pack in its temp file) up to this many MiB goes up as one Put Blob
    /// streamed from the file: one request and no block buffers. Staged, the SDK copies every block
    /// of a seekable stream into pooled memory too (docs/decisions.md §23). 0 = always stage above
    /// <see cref="BlockSizeMiB"/>. Azure takes up to 5000.
    /// </summary>
    public int SinglePutMaxMiB { get; set; } = 64;

    /// <summary>
    /// Per-request upload checksum: MD5 (default; works with Azure and Azurite), StorageCrc64 (Azure
    /// only — Azurite 3.37 stores the CRC64 framing as blob bytes), or None.
    /// </summary>
    public string UploadChecksum { get; set; } = "MD5";

    /// <summary>When a request counts as stalled and is retried (seconds for metadata, a minimum throughput for bodies).</summary>
    public TransferTimeouts Timeouts { get; set; } = new();

    /// <summary>Problems, each naming the field and value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        errors.AddRange(Timeouts.Validate());
        if (!ContainerName().IsMatch(Container) || Container.Contains("--", StringComparison.Ordinal))
        {
            errors.Add($"Container: must be 3-63 lowercase letters, digits or single '-' (got '{Container}').");
        }

        if (Prefix.Trim('/').Length > 0 && !ObjectKey.IsValid(Prefix.Trim('/')))
        {
            errors.Add($"Prefix: must be '/'-separated segments of [A-Za-z0-9._-] (got '{Prefix}').");
        }

        if (AccessTier is not null && AccessTier is not ("Hot" or "Cool" or "Cold"))
        {
            errors.Add(AccessTier is "Archive"
                ? "AccessTier: 'Archive' blobs cannot be read without rehydration (hours), so restores and drills would fail; use Cold."
                : $"AccessTier: must be Hot, Cool or Cold (got '{AccessTier}').");
        }

        if (UploadChecksum is not ("MD5" or "StorageCrc64" or "None"))
        {
            errors.Add($"UploadChecksum: must be MD5, StorageCrc64 or None (got '{UploadChecksum}').");
        }

        if (BlockSizeMiB is < 1 or > 100)
        {
            errors.Add($"BlockSizeMiB: must be between 1 and 100 (got {BlockSizeMiB}).");
        }

        if (ParallelBlocks is < 1 or > 16)
        {
            errors.Add($"ParallelBlocks: must be between 1 and 16 (got {ParallelBlocks}).");
        }

        if (SinglePutMaxMiB is < 0 or > 5000)
        {
            errors.Add($"SinglePutMaxMiB: must be between 0 and 5000 (got {SinglePutMaxMiB}).");
        }

        ValidateAuthentication(errors);
        return errors;
    }

    /// <summary>The prefix as used in blob names: "" or ending with '/'.</summary>
    internal string NormalizedPrefix => Prefix.Trim('/').Length == 0 ? "" : Prefix.Trim('/') + "/";

    private void ValidateAuthentication(List<string> errors)
    {
        var ways = new[] { ConnectionStringEnvironmentVariable, SasUrlEnvironmentVariable, ServiceUri }.Count(v => v is not null);
        if (ways != 1)
        {
            errors.Add("ConnectionStringEnvironmentVariable, SasUrlEnvironmentVariable, ServiceUri: set exactly one "
                + $"(ServiceUri uses DefaultAzureCredential); {ways} are set.");
            return;
        }

        foreach (var (field, name) in new[]
        {
            (nameof(ConnectionStringEnvironmentVariable), ConnectionStringEnvironmentVariable),
            (nameof(SasUrlEnvironmentVariable), SasUrlEnvironmentVariable),
        })
        {
            if (name is not null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
            {
                errors.Add($"{field}: environment variable '{name}' is not set.");
            }
        }

        if (SasUrlEnvironmentVariable is not null
            && Environment.GetEnvironmentVariable(SasUrlEnvironmentVariable) is { Length: > 0 } sas
            && !Uri.TryCreate(sas, UriKind.Absolute, out _))
        {
            // Never echo the value: it is a credential.
            errors.Add($"SasUrlEnvironmentVariable: environment variable '{SasUrlEnvironmentVariable}' does not hold an absolute URL.");
        }

        if (ServiceUri is not null
            && (!Uri.TryCreate(ServiceUri, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")
                || uri.Query.Length > 0 || uri.UserInfo.Length > 0))
        {
            errors.Add("ServiceUri: must be an absolute https URL without query string or credentials, e.g. https://account.blob.core.windows.net.");
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerName();
}
