using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Http;

namespace DrOrchestrator.Storage.S3;

/// <summary>
/// Configuration of an S3 (or S3-compatible) target: <c>Targets:&lt;name&gt;</c> with <c>Type: s3</c>.
/// Credentials are never configured here: either the names of environment variables holding them,
/// or nothing, in which case the standard AWS credential chain (profile, SSO, instance role…) is used.
/// </summary>
public sealed partial class S3TargetOptions
{
    /// <summary>Endpoint of an S3-compatible service (MinIO, Ceph, Wasabi, s3rver…); null for AWS.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>Path-style URLs (endpoint/bucket/key); most S3-compatibles need this.</summary>
    public bool ForcePathStyle { get; set; }

    /// <summary>AWS region (also the signing region for compatibles).</summary>
    public string Region { get; set; } = "us-east-1";

    public string Bucket { get; set; } = "";

    /// <summary>Key prefix of the repository inside the bucket ("" = bucket root).</summary>
    public string Prefix { get; set; } = "";

    /// <summary>S3 storage class of new objects (STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR); null = bucket default.</summary>
    public string? StorageClass { get; set; }

    /// <summary>Name of the environment variable holding the access key id (with <see cref="SecretAccessKeyEnvironmentVariable"/>).</summary>
    public string? AccessKeyIdEnvironmentVariable { get; set; }

    /// <summary>Name of the environment variable holding the secret access key.</summary>
    public string? SecretAccessKeyEnvironmentVariable { get; set; }

    /// <summary>Optional: name of the environment variable holding a session token (temporary credentials).</summary>
    public string? SessionTokenEnvironmentVariable { get; set; }

    /// <summary>
    /// Send plain bodies instead of aws-chunked ones. Required by S3-compatibles that do not decode
    /// aws-chunked (s3rver stores the chunk framing as object bytes and answers 200 OK).
    /// </summary>
    public bool DisableChunkEncoding { get; set; }

    /// <summary>
    /// Compute/validate the SDK's flexible checksums (CRC32 etc.) only when an operation requires
    /// them. S3-compatibles often reject or ignore the x-amz-checksum-* headers. Uploads still carry
    /// Content-MD5, which every S3 implementation verifies.
    /// </summary>
    public bool ChecksumsWhenRequiredOnly { get; set; }

    /// <summary>Multipart part size in MiB (5–512). Also the memory per in-flight part; 10,000 parts limit the object size.</summary>
    public int PartSizeMiB { get; set; } = 8;

    /// <summary>Parts of one object uploaded in parallel (1–16).</summary>
    public int ParallelParts { get; set; } = 4;

    /// <summary>
    /// A seekable upload (a pack in its temp file) up to this many MiB goes up as one PutObject
    /// streamed from the file: one request, no part buffers, no server-side part assembly.
    /// 0 disables it (always multipart above <see cref="PartSizeMiB"/>), for servers that limit
    /// the size of a single PUT below this.
    /// </summary>
    public int SinglePutMaxMiB { get; set; } = 64;

    /// <summary>
    /// PEM file of the certificate authority (or the self-signed server certificate) to trust for
    /// this target instead of the system's trust store, like restic's <c>--cacert</c>: for an
    /// S3-compatible behind a private CA. Not a secret. Relative to the configuration file.
    /// </summary>
    public string? CaCertificateFile { get; set; }

    /// <summary>When a request counts as stalled and is retried (seconds for metadata, a minimum throughput for bodies).</summary>
    public TransferTimeouts Timeouts { get; set; } = new();

    /// <summary>Problems, each naming the field and value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        ValidateLocation(errors);
        errors.AddRange(Timeouts.Validate());
        ValidateCredentials(errors);
        if (PartSizeMiB is < 5 or > 512)
        {
            errors.Add($"PartSizeMiB: must be between 5 and 512 (got {PartSizeMiB}).");
        }

        if (ParallelParts is < 1 or > 16)
        {
            errors.Add($"ParallelParts: must be between 1 and 16 (got {ParallelParts}).");
        }

        if (SinglePutMaxMiB is < 0 or > 5 * 1024)
        {
            errors.Add($"SinglePutMaxMiB: must be between 0 and 5120 (got {SinglePutMaxMiB}).");
        }

        if (CaCertificateFile is not null)
        {
            var certificates = LoadCaCertificates(out var problem);
            if (certificates is null)
            {
                errors.Add(problem);
            }

            foreach (var certificate in certificates ?? [])
            {
                certificate.Dispose(); // only checked here; the client loads its own copy
            }
        }

        return errors;
    }

    /// <summary>
    /// The certificates of <see cref="CaCertificateFile"/>, or null with a one-line problem naming the
    /// field and the file when it is unusable (missing, unreadable, no PEM certificate, or not over TLS).
    /// </summary>
    internal X509Certificate2Collection? LoadCaCertificates(out string problem)
    {
        problem = "";
        if (CaCertificateFile is null)
        {
            return null;
        }

        if (ServiceUrl is not null && Uri.TryCreate(ServiceUrl, UriKind.Absolute, out _) && !UsesTls)
        {
            // The URL is not echoed: ServiceUrl's own check may have found credentials in it.
            problem = "CaCertificateFile: set, but ServiceUrl is not https.";
            return null;
        }

        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(CaCertificateFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            problem = e is FileNotFoundException or DirectoryNotFoundException
                ? $"CaCertificateFile: '{CaCertificateFile}' does not exist."
                : $"CaCertificateFile: '{CaCertificateFile}' cannot be read as PEM certificates ({e.Message.TrimEnd('.')}).";
            return null;
        }

        if (certificates.Count == 0)
        {
            problem = $"CaCertificateFile: '{CaCertificateFile}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).";
            return null;
        }

        return certificates;
    }

    /// <summary>
    /// True when every request goes over TLS (AWS, or an https ServiceUrl). Only then are bodies sent
    /// with UNSIGNED-PAYLOAD: TLS already protects them in transit, and the body checksum (Content-MD5
    /// or CRC32) still lets the server reject a corrupted one. Over plain http the SigV4 payload hash
    /// stays, as it is the only thing binding the body to the signature.
    /// </summary>
    internal bool UsesTls => ServiceUrl is null || new Uri(ServiceUrl).Scheme == Uri.UriSchemeHttps;

    /// <summary>The prefix as used in keys: "" or ending with '/'.</summary>
    internal string NormalizedPrefix => Prefix.Trim('/').Length == 0 ? "" : Prefix.Trim('/') + "/";

    private void ValidateLocation(List<string> errors)
    {
        if (!BucketName().IsMatch(Bucket))
        {
            errors.Add($"Bucket: must be 3-63 lowercase letters, digits, '.' or '-' (got '{Bucket}').");
        }

        if (Prefix.Trim('/').Length > 0 && !ObjectKey.IsValid(Prefix.Trim('/')))
        {
            errors.Add($"Prefix: must be '/'-separated segments of [A-Za-z0-9._-] (got '{Prefix}').");
        }

        if (string.IsNullOrWhiteSpace(Region))
        {
            errors.Add("Region: must be set (e.g. 'us-east-1').");
        }

        if (ServiceUrl is not null
            && (!Uri.TryCreate(ServiceUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            errors.Add($"ServiceUrl: must be an absolute http(s) URL (got '{ServiceUrl}').");
        }
        else if (ServiceUrl is not null && (new Uri(ServiceUrl).UserInfo.Length > 0 || new Uri(ServiceUrl).Query.Length > 0))
        {
            // Never echo the value: it may embed a credential.
            errors.Add("ServiceUrl: must not contain credentials or a query string; use the *EnvironmentVariable settings.");
        }

        if (StorageClass is not null && StorageClass is not ("STANDARD" or "STANDARD_IA" or "ONEZONE_IA" or "INTELLIGENT_TIERING" or "GLACIER_IR" or "REDUCED_REDUNDANCY"))
        {
            errors.Add(StorageClass is "GLACIER" or "DEEP_ARCHIVE"
                ? $"StorageClass: '{StorageClass}' objects cannot be read without a restore request, so restores and drills would fail; use GLACIER_IR."
                : $"StorageClass: unknown storage class '{StorageClass}' (STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR).");
        }
    }

    private void ValidateCredentials(List<string> errors)
    {
        if ((AccessKeyIdEnvironmentVariable is null) != (SecretAccessKeyEnvironmentVariable is null))
        {
            errors.Add("AccessKeyIdEnvironmentVariable, SecretAccessKeyEnvironmentVariable: set both or neither (neither = standard AWS credential chain).");
            return;
        }

        foreach (var (field, name) in new[]
        {
            (nameof(AccessKeyIdEnvironmentVariable), AccessKeyIdEnvironmentVariable),
            (nameof(SecretAccessKeyEnvironmentVariable), SecretAccessKeyEnvironmentVariable),
            (nameof(SessionTokenEnvironmentVariable), SessionTokenEnvironmentVariable),
        })
        {
            if (name is not null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
            {
                errors.Add($"{field}: environment variable '{name}' is not set.");
            }
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();
}
