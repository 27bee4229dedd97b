using System.Buffers;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Storage.S3;

/// <summary>
/// Uploads a stream of unknown length with bounded memory: content is read in parts of
/// <see cref="S3TargetOptions.PartSizeMiB"/>; a stream shorter than one part becomes a single
/// PutObject, anything longer a multipart upload with up to <see cref="S3TargetOptions.ParallelParts"/>
/// parts in flight (memory ≈ part size × parallel parts). Both are atomic on S3: a multipart object
/// appears only at CompleteMultipartUpload. Every body is a seekable in-memory part, so the SDK can
/// sign it, retry it, and send Content-MD5 without aws-chunked framing.
/// </summary>
internal sealed partial class S3Uploader(IAmazonS3 client, S3TargetOptions options, string store, ILogger logger)
{
    private readonly int _partSize = options.PartSizeMiB * 1024 * 1024;

    /// <summary>See <see cref="S3TargetOptions.SinglePutMaxMiB"/>.</summary>
    private readonly long _singlePutMax = (long)options.SinglePutMaxMiB * 1024 * 1024;

    public async Task UploadAsync(string fullKey, Stream content, CancellationToken cancellationToken)
    {
        if (content.CanSeek && content.Position == 0 && content.Length <= _singlePutMax && content.Length >= _partSize)
        {
            await PutSeekableAsync(fullKey, content, cancellationToken).ConfigureAwait(false);
            return;
        }

        var first = ArrayPool<byte>.Shared.Rent(_partSize);
        var handedOver = false;
        try
        {
            var length = await FillAsync(content, first, cancellationToken).ConfigureAwait(false);
            if (length < _partSize)
            {
                await PutSingleAsync(fullKey, first, length, cancellationToken).ConfigureAwait(false);
                return;
            }

            handedOver = true;
            await UploadMultipartAsync(fullKey, content, first, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!handedOver)
            {
                ArrayPool<byte>.Shared.Return(first);
            }
        }
    }

    private async Task PutSingleAsync(string fullKey, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(buffer, 0, length, writable: false, publiclyVisible: true);
        await PutObjectAsync(fullKey, body, Md5(buffer, length), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A pack-sized seekable stream: hashed once for Content-MD5, then sent from the start in one request.</summary>
    private async Task PutSeekableAsync(string fullKey, Stream content, CancellationToken cancellationToken)
    {
        string md5;
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.MD5))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                int read;
                while ((read = await content.ReadAsync(buffer.AsMemory(0, 1 << 20), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            md5 = Convert.ToBase64String(hash.GetHashAndReset());
        }

        content.Position = 0;
        await PutObjectAsync(fullKey, content, md5, cancellationToken).ConfigureAwait(false);
    }

    private async Task PutObjectAsync(string fullKey, Stream body, string md5, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = options.Bucket,
            Key = fullKey,
            InputStream = body,
            AutoCloseStream = false,
            ContentType = "application/octet-stream",
            MD5Digest = md5,
            // aws-chunked framing is stored verbatim by some S3-compatibles (see the option's doc).
            UseChunkEncoding = !options.DisableChunkEncoding,
        };
        if (options.StorageClass is not null)
        {
            request.StorageClass = S3StorageClass.FindValue(options.StorageClass);
        }

        await client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads until <paramref name="buffer"/> holds a whole part or the stream ends; returns the byte count.</summary>
    private ValueTask<int> FillAsync(Stream content, byte[] buffer, CancellationToken cancellationToken) =>
        content.ReadAtLeastAsync(buffer.AsMemory(0, _partSize), _partSize, throwOnEndOfStream: false, cancellationToken);

    private static string Md5(byte[] buffer, int length) =>
#pragma warning disable CA5351 // Content-MD5 is S3's integrity check of the body, not a security use of MD5.
        Convert.ToBase64String(MD5.HashData(buffer.AsSpan(0, length)));
#pragma warning restore CA5351
}
