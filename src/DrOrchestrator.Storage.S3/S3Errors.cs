using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Amazon.Runtime;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Storage.S3;

/// <summary>Maps SDK failures to the seam's typed errors: 404/NoSuchKey → not found; 5xx, throttling, network → transient.</summary>
internal static class S3Errors
{
    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeoutException",
        "InternalError", "ServiceUnavailable", "RequestLimitExceeded", "TooManyRequestsException",
    };

    /// <summary>True for exceptions this module translates (not the caller's own cancellation).</summary>
    public static bool IsSdkFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is AmazonServiceException or AmazonClientException or HttpRequestException or IOException or SocketException or System.Xml.XmlException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>The object (not the bucket) does not exist. HEAD answers 404 without an error code.</summary>
    public static bool IsNotFound(Exception ex) =>
        ex is AmazonServiceException { StatusCode: HttpStatusCode.NotFound } s
        && s.ErrorCode is null or "" or "NoSuchKey" or "NotFound";

    public static bool IsRangeNotSatisfiable(Exception ex) =>
        ex is AmazonServiceException { StatusCode: HttpStatusCode.RequestedRangeNotSatisfiable } or AmazonServiceException { ErrorCode: "InvalidRange" };

    public static ObjectStoreException Translate(Exception ex, string store, string? key)
    {
        if (key is not null && IsNotFound(ex))
        {
            return new ObjectNotFoundException(store, key, ex);
        }

        if (Untrusted(ex) is { } tls)
        {
            // A certificate the client does not trust (or no common protocol) fails the same way on
            // every retry; the inner message says why ("...errors in the certificate chain: UntrustedRoot").
            return new ObjectStoreException(store, key, $"TLS handshake failed: {tls.Message} (CaCertificateFile, or the system trust store)", isTransient: false, ex);
        }

        if (ex is AmazonClientException && ex.Message.Contains("hash", StringComparison.OrdinalIgnoreCase))
        {
            // "Expected hash not equal to calculated hash": the body was damaged on its way (or at
            // rest); another read, or another copy, may be good.
            return new ObjectStoreException(store, key, $"response failed its checksum: {ex.Message}", isTransient: true, ex);
        }

        return ex switch
        {
            AmazonServiceException s when s.StatusCode != 0 =>
                new ObjectStoreException(store, key, $"{(int)s.StatusCode} {s.ErrorCode}: {s.Message}", IsTransient(s), ex),
            AmazonServiceException or AmazonClientException when ex.InnerException is not null && IsNetwork(ex.InnerException) =>
                new ObjectStoreException(store, key, $"network error: {ex.InnerException.Message}", isTransient: true, ex),
            AmazonServiceException or AmazonClientException =>
                new ObjectStoreException(store, key, ex.Message, isTransient: false, ex),
            OperationCanceledException => new ObjectStoreException(store, key, "request timed out", isTransient: true, ex),
            System.Xml.XmlException => new ObjectStoreException(store, key, $"damaged reply: {ex.Message}", isTransient: true, ex),
            _ => new ObjectStoreException(store, key, $"network error: {ex.Message}", isTransient: true, ex),
        };
    }

    // A 2xx whose body could not be understood (the SDK's unmarshalling error) was damaged on its way.
    private static bool IsTransient(AmazonServiceException s) =>
        (int)s.StatusCode is >= 500 or (>= 200 and < 300) || s.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout
        || (s.ErrorCode is not null && TransientCodes.Contains(s.ErrorCode));

    private static AuthenticationException? Untrusted(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is AuthenticationException authentication)
            {
                return authentication;
            }
        }

        return null;
    }

    private static bool IsNetwork(Exception ex) =>
        ex is HttpRequestException or IOException or SocketException or TimeoutException or OperationCanceledException
        || (ex.InnerException is not null && IsNetwork(ex.InnerException));
}
