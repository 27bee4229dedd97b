using System.Net;
using System.Security.Cryptography.X509Certificates;
using Amazon.Runtime;
using DrOrchestrator.Core.Storage.Http;

namespace DrOrchestrator.Storage.S3;

/// <summary>
/// The SDK's HttpClient with two additions: every request goes through a <see cref="StallDetectingHandler"/>
/// (<see cref="S3TargetOptions.Timeouts"/>), and with <see cref="S3TargetOptions.CaCertificateFile"/>
/// only its certificates are trusted (restic's <c>--cacert</c>). Apart from that, the handler is set
/// up as the SDK sets up its own (AWSSDK.Core's HttpRequestMessageFactory: no redirects or
/// decompression, proxy, connection limit and timeouts from the client config).
/// </summary>
internal sealed class S3HttpClientFactory(X509Certificate2Collection? trusted, TransferTimeouts timeouts) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
#pragma warning disable CA2000 // the HttpClient owns and disposes the handlers
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            AllowAutoRedirect = clientConfig.AllowAutoRedirect,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = timeouts.Request,
        };
#pragma warning restore CA2000
        if (clientConfig.MaxConnectionsPerServer is { } maxConnections)
        {
            handler.MaxConnectionsPerServer = maxConnections;
        }

        if (clientConfig.GetWebProxy() is { } proxy)
        {
            handler.Proxy = proxy;
            if (clientConfig.ProxyCredentials is not null)
            {
                proxy.Credentials = clientConfig.ProxyCredentials;
            }
        }

        if (trusted is not null)
        {
            // Custom root trust: the chain must end in one of these certificates, and the system's
            // store is never consulted. Besides being what the operator asked for, it skips loading
            // that store, which .NET on Linux reads file by file from /etc/ssl/certs when the first
            // connection is validated, delaying a restore's first request (docs/decisions.md §23).
            // Revocation stays unchecked, as it is for the SDK's own client (SslStream's default).
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(trusted);
            handler.SslOptions.CertificateChainPolicy = policy;
        }

#pragma warning disable CA2000 // the HttpClient owns and disposes the handlers
        var client = new HttpClient(new StallDetectingHandler(timeouts, handler));
#pragma warning restore CA2000
        if (clientConfig.Timeout is { } timeout)
        {
            client.Timeout = timeout;
        }

        return client;
    }
}
