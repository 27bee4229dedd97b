using System.Buffers;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Storage.S3;

/// <summary>
/// Uploads a stream of unknown length with bounded memory: content is read in parts of
/// <see cref="S3TargetOptions.PartSizeMiB"/>; a stream shorter than one part becomes a single
/// PutObject, anything longer a multipart upload with up to <see cref="S3TargetOptions.ParallelParts"/>
/// parts in flight (memory ≈ part size × parallel parts). Both are atomic on S3: a multipart object
/// appears only at CompleteMultipartUpload. Every body is seekable (an in-memory part or the pack's
/// temp file), so the SDK can checksum it, retry it, and send it without aws-chunked framing.
/// </summary>
/// <remarks>
/// Each body byte costs client CPU per hash, and on a small machine that CPU is taken from the
/// compression and encryption feeding the upload (and from the server, when it runs alongside).
/// So a body is hashed once, for the server to verify (<see cref="S3BodyChecksum"/>), and over TLS
/// it is sent as UNSIGNED-PAYLOAD instead of also being SHA-256-hashed for the SigV4 signature
/// (<see cref="S3TargetOptions.UsesTls"/>).
/// </remarks>
internal sealed partial class S3Uploader(IAmazonS3 client, S3TargetOptions options, string store, ILogger logger)
{
    private readonly int _partSize = options.PartSizeMiB * 1024 * 1024;

    /// <summary>See <see cref="S3TargetOptions.SinglePutMaxMiB"/>.</summary>
    private readonly long _singlePutMax = (long)options.SinglePutMaxMiB * 1024 * 1024;

    private readonly S3BodyChecksum _checksum = new(options);

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
        await PutObjectAsync(fullKey, body, _checksum.Of(buffer.AsSpan(0, length)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A pack-sized seekable stream sent from the start in one request (read once before only if its checksum is computed here).</summary>
    private async Task PutSeekableAsync(string fullKey, Stream content, CancellationToken cancellationToken)
    {
        var checksum = await _checksum.OfStreamAsync(content, cancellationToken).ConfigureAwait(false);
        await PutObjectAsync(fullKey, content, checksum, cancellationToken).ConfigureAwait(false);
    }

    private async Task PutObjectAsync(string fullKey, Stream body, BodyChecksum checksum, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = options.Bucket,
            Key = fullKey,
            InputStream = body,
            AutoCloseStream = false,
            ContentType = "application/octet-stream",
            MD5Digest = checksum.ContentMd5,
            ChecksumCRC32 = checksum.Crc32,
            // aws-chunked framing is stored verbatim by some S3-compatibles (see the option's doc).
            UseChunkEncoding = !options.DisableChunkEncoding,
            DisablePayloadSigning = options.UsesTls,
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
}
