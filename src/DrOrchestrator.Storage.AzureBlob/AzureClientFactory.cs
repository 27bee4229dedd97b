using Azure.Core.Pipeline;
using Azure.Identity;
using DrOrchestrator.Core.Storage.Http;
using Azure.Storage.Blobs;

namespace DrOrchestrator.Storage.AzureBlob;

/// <summary>Builds the container client from validated options; secrets are read from the named environment variables only here.</summary>
internal static class AzureClientFactory
{
    public static BlobContainerClient Create(AzureBlobTargetOptions options)
    {
        var clientOptions = new BlobClientOptions();
        // Short SDK retries absorb blips; long outages are the RetryingObjectStore decorator's job,
        // and retrying at both layers would multiply the attempts.
        clientOptions.Retry.MaxRetries = 2;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(500);
        // Stalls are caught per request by StallDetectingHandler (Timeouts); the SDK's own network
        // timeout is only a backstop above the largest body's deadline.
        var largestBody = Math.Max(options.BlockSizeMiB, options.SinglePutMaxMiB) * 1024L * 1024;
        clientOptions.Retry.NetworkTimeout = options.Timeouts.Deadline(largestBody) + options.Timeouts.Request;
#pragma warning disable CA2000 // the transport owns the client, which owns the handlers
        clientOptions.Transport = new HttpClientTransport(new HttpClient(new StallDetectingHandler(options.Timeouts, new SocketsHttpHandler
        {
            ConnectTimeout = options.Timeouts.Request,
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        }))
        {
            Timeout = Timeout.InfiniteTimeSpan,
        });
#pragma warning restore CA2000

        if (options.ConnectionStringEnvironmentVariable is { } connectionVariable)
        {
            return new BlobContainerClient(Environment.GetEnvironmentVariable(connectionVariable), options.Container, clientOptions);
        }

        if (options.SasUrlEnvironmentVariable is { } sasVariable)
        {
            var builder = new BlobUriBuilder(new Uri(Environment.GetEnvironmentVariable(sasVariable)!));
            if (builder.BlobContainerName.Length > 0 && builder.BlobContainerName != options.Container)
            {
                throw new ArgumentException(
                    $"Invalid Azure target: Container: '{options.Container}' differs from the container of the SAS URL in '{sasVariable}'.");
            }

            builder.BlobContainerName = options.Container;
            return new BlobContainerClient(builder.ToUri(), clientOptions);
        }

        var containerUri = new Uri(options.ServiceUri!.TrimEnd('/') + "/" + options.Container);
        return new BlobContainerClient(containerUri, new DefaultAzureCredential(), clientOptions);
    }
}
