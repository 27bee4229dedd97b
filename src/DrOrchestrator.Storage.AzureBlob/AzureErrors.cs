using System.Net.Sockets;
using Azure;
using Azure.Identity;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Storage.AzureBlob;

/// <summary>Maps SDK failures to the seam's typed errors: 404 BlobNotFound → not found; 408/429/5xx and network → transient.</summary>
internal static class AzureErrors
{
    public static bool IsSdkFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is RequestFailedException or AggregateException or AuthenticationFailedException or HttpRequestException or IOException or SocketException or System.Xml.XmlException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>The blob (not the container) does not exist; HEAD answers 404 without an error code.</summary>
    public static bool IsNotFound(Exception ex) =>
        ex is RequestFailedException { Status: 404 } r && r.ErrorCode is null or "" or "BlobNotFound";

    public static bool IsRangeNotSatisfiable(Exception ex) => ex is RequestFailedException { Status: 416 };

    public static ObjectStoreException Translate(Exception ex, string store, string? key)
    {
        if (ex is AggregateException { InnerExceptions.Count: > 0 } aggregate)
        {
            // The SDK's retry policy reports every attempt; the last one says why it finally failed.
            ex = aggregate.InnerExceptions[^1];
        }

        if (key is not null && IsNotFound(ex))
        {
            return new ObjectNotFoundException(store, key, ex);
        }

        return ex switch
        {
            // The SDK's message lists (redacted) headers; the status and error code are what an admin needs.
            RequestFailedException { Status: 0 } => new ObjectStoreException(store, key, $"network error: {FirstLine(ex.Message)}", isTransient: true, ex),
            RequestFailedException r => new ObjectStoreException(store, key, $"{r.Status} {r.ErrorCode}: {FirstLine(r.Message)}", IsTransient(r), ex),
            AuthenticationFailedException => new ObjectStoreException(store, key, $"authentication failed: {FirstLine(ex.Message)}", isTransient: false, ex),
            OperationCanceledException => new ObjectStoreException(store, key, "request timed out", isTransient: true, ex),
            System.Xml.XmlException => new ObjectStoreException(store, key, $"damaged reply: {FirstLine(ex.Message)}", isTransient: true, ex),
            _ => new ObjectStoreException(store, key, $"network error: {FirstLine(ex.Message)}", isTransient: true, ex),
        };
    }

    /// <summary>
    /// InvalidBlockList: a concurrent upload of the same blob committed first and so discarded this
    /// upload's uncommitted blocks; uploading again succeeds.
    /// </summary>
    private static bool IsTransient(RequestFailedException r) => r.Status is 408 or 429 or >= 500 || r.ErrorCode == "InvalidBlockList";

    private static string FirstLine(string message)
    {
        var newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }
}
