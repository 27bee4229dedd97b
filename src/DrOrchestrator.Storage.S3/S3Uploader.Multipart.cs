using System.Buffers;
using System.Runtime.ExceptionServices;
using Amazon.S3;
using Amazon.S3.Model;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Storage.S3;

internal sealed partial class S3Uploader
{
    /// <summary>S3's limit on the number of parts of one object.</summary>
    public const int MaxParts = 10_000;

    /// <summary>
    /// Uploads <paramref name="first"/> (a full part, owned from now on) and the rest of the stream
    /// as parts. A slot of the semaphore is held from renting a part buffer until its upload ends,
    /// which bounds memory to ParallelParts buffers. On any failure the upload is aborted.
    /// </summary>
    private async Task UploadMultipartAsync(string fullKey, Stream content, byte[] first, CancellationToken cancellationToken)
    {
        using var slots = new SemaphoreSlim(options.ParallelParts);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var etags = new List<PartETag>();
        var running = new List<Task>();
        string? uploadId = null;
        var buffer = first;
        try
        {
            await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            var initiate = new InitiateMultipartUploadRequest { BucketName = options.Bucket, Key = fullKey, ContentType = "application/octet-stream" };
            if (options.StorageClass is not null)
            {
                initiate.StorageClass = S3StorageClass.FindValue(options.StorageClass);
            }

            uploadId = (await client.InitiateMultipartUploadAsync(initiate, cancellationToken).ConfigureAwait(false)).UploadId;
            var length = _partSize;
            for (var partNumber = 1; ; partNumber++)
            {
                var part = new Part(partNumber, buffer!, length);
                buffer = null;
                running.Add(UploadPartAsync(fullKey, uploadId, part, etags, slots, failed));
                if (length < _partSize)
                {
                    break;
                }

                await slots.WaitAsync(failed.Token).ConfigureAwait(false);
                buffer = ArrayPool<byte>.Shared.Rent(_partSize);
                length = await FillAsync(content, buffer, failed.Token).ConfigureAwait(false);
                if (length == 0)
                {
                    break;
                }

                if (partNumber == MaxParts)
                {
                    throw new ObjectStoreException(store, fullKey,
                        $"object exceeds {MaxParts} parts of {options.PartSizeMiB} MiB; raise PartSizeMiB", isTransient: false);
                }
            }

            await Task.WhenAll(running).ConfigureAwait(false);
            await CompleteAsync(fullKey, uploadId, etags, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await failed.CancelAsync().ConfigureAwait(false);
            var partFailure = await DrainAsync(running).ConfigureAwait(false);
            if (uploadId is not null)
            {
                await AbortAsync(fullKey, uploadId).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (ex is OperationCanceledException && partFailure is not null)
            {
                // The loop was stopped by a failing part: report the part's error, not the stop.
                ExceptionDispatchInfo.Throw(partFailure);
            }

            throw;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private async Task UploadPartAsync(string fullKey, string uploadId, Part part, List<PartETag> etags, SemaphoreSlim slots, CancellationTokenSource failed)
    {
        try
        {
            using var body = new MemoryStream(part.Buffer, 0, part.Length, writable: false, publiclyVisible: true);
            var checksum = _checksum.Of(part.Buffer.AsSpan(0, part.Length));
            var request = new UploadPartRequest
            {
                BucketName = options.Bucket,
                Key = fullKey,
                UploadId = uploadId,
                PartNumber = part.Number,
                InputStream = body,
                PartSize = part.Length,
                MD5Digest = checksum.ContentMd5,
                ChecksumCRC32 = checksum.Crc32,
                UseChunkEncoding = !options.DisableChunkEncoding,
                DisablePayloadSigning = options.UsesTls,
            };
            var response = await client.UploadPartAsync(request, failed.Token).ConfigureAwait(false);
            lock (etags)
            {
                etags.Add(new PartETag(part.Number, response.ETag));
            }
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(part.Buffer);
            slots.Release();
        }
    }

    private async Task CompleteAsync(string fullKey, string uploadId, List<PartETag> etags, CancellationToken cancellationToken)
    {
        var request = new CompleteMultipartUploadRequest
        {
            BucketName = options.Bucket,
            Key = fullKey,
            UploadId = uploadId,
            PartETags = [.. etags.OrderBy(e => e.PartNumber)],
        };
        await client.CompleteMultipartUploadAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Best effort, not cancellable: an unfinished upload costs storage until aborted.</summary>
    private async Task AbortAsync(string fullKey, string uploadId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await client.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = options.Bucket, Key = fullKey, UploadId = uploadId }, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (S3Errors.IsSdkFailure(ex, CancellationToken.None) || ex is OperationCanceledException)
        {
            // s3rver does not implement AbortMultipartUpload; real S3 needs a lifecycle rule as a backstop anyway.
            Log.AbortFailed(logger, ex, fullKey, store);
        }
    }

    /// <summary>Waits for every started part and returns the first real (non-cancellation) failure.</summary>
    private static async Task<Exception?> DrainAsync(List<Task> running)
    {
        Exception? first = null;
        foreach (var task in running)
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                first ??= ex;
            }
            catch (OperationCanceledException)
            {
                // A part stopped because another failed or the caller cancelled.
            }
        }

        return first;
    }

    private sealed record Part(int Number, byte[] Buffer, int Length);
}
