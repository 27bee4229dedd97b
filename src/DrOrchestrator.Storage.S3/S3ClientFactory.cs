using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace DrOrchestrator.Storage.S3;

/// <summary>Builds the SDK client from validated options; secrets are read from the named environment variables only here.</summary>
internal static class S3ClientFactory
{
    /// <summary>Size of the SDK's writes of an upload body to the connection (see the comment where it is set).</summary>
    internal const int UploadWriteBuffer = 64 * 1024;

    public static AmazonS3Client Create(S3TargetOptions options)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            // Short SDK retries absorb blips; long outages are the RetryingObjectStore decorator's job,
            // and retrying at both layers would multiply the attempts.
            MaxErrorRetry = 2,
            // Stalls are caught per request by StallDetectingHandler (Timeouts); the SDK's own limit
            // is only a backstop above the largest body's deadline.
            Timeout = options.Timeouts.Deadline(Math.Max(options.PartSizeMiB, options.SinglePutMaxMiB) * 1024L * 1024) + options.Timeouts.Request,
            // The SDK copies upload bodies to the connection in BufferSize writes (default 8 KiB); over
            // TLS each write becomes its own record, so the server decrypts and handles twice as many
            // records as with full 16 KiB ones. 64 KiB writes fill records, which saves the server
            // CPU (figures in docs/decisions.md §23).
            BufferSize = UploadWriteBuffer,
        };
        var trusted = options.CaCertificateFile is null ? null
            : options.LoadCaCertificates(out var problem) ?? throw new ArgumentException($"Invalid S3 target: {problem}");
        config.HttpClientFactory = new S3HttpClientFactory(trusted, options.Timeouts);

        if (options.ServiceUrl is null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }
        else
        {
            config.ServiceURL = options.ServiceUrl;
            // Compatibles still check SigV4 signatures, which include the region.
            config.AuthenticationRegion = options.Region;
        }

        if (options.ChecksumsWhenRequiredOnly)
        {
            // SDK v4 adds CRC32 checksum headers/trailers by default; many compatibles reject or
            // mishandle them. Content-MD5 still protects uploads (S3Uploader).
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        var credentials = Credentials(options);
        return credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
    }

    /// <summary>Explicit credentials from environment variables, or null for the standard AWS chain.</summary>
    private static AWSCredentials? Credentials(S3TargetOptions options)
    {
        if (options.AccessKeyIdEnvironmentVariable is null || options.SecretAccessKeyEnvironmentVariable is null)
        {
            return null;
        }

        var accessKey = Environment.GetEnvironmentVariable(options.AccessKeyIdEnvironmentVariable) ?? "";
        var secretKey = Environment.GetEnvironmentVariable(options.SecretAccessKeyEnvironmentVariable) ?? "";
        var token = options.SessionTokenEnvironmentVariable is null ? null : Environment.GetEnvironmentVariable(options.SessionTokenEnvironmentVariable);
        return token is null ? new BasicAWSCredentials(accessKey, secretKey) : new SessionAWSCredentials(accessKey, secretKey, token);
    }
}
