using System.Net;
using System.Security.Cryptography.X509Certificates;
using Amazon.Runtime;

namespace DrOrchestrator.Storage.S3;

/// <summary>
/// The SDK's HttpClient, but trusting only the certificates of <see cref="S3TargetOptions.CaCertificateFile"/>
/// (restic's <c>--cacert</c>): an S3-compatible behind a private CA, or with a self-signed certificate.
/// Apart from the trust, the handler is set up as the SDK sets up its own (AWSSDK.Core's
/// HttpRequestMessageFactory: no redirects or decompression, proxy, connection limit and timeouts
/// from the client config), so the option changes nothing else.
/// </summary>
internal sealed class CustomCaHttpClientFactory(X509Certificate2Collection trusted) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
#pragma warning disable CA2000 // the HttpClient owns and disposes the handler
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            AllowAutoRedirect = clientConfig.AllowAutoRedirect,
            AutomaticDecompression = DecompressionMethods.None,
        };
#pragma warning restore CA2000
        if (clientConfig.ConnectTimeout is { } connectTimeout)
        {
            handler.ConnectTimeout = connectTimeout;
        }

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

        var client = new HttpClient(handler);
        if (clientConfig.Timeout is { } timeout)
        {
            client.Timeout = timeout;
        }

        return client;
    }
}
