using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using DrOrchestrator.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ByteRange = DrOrchestrator.Core.Storage.ByteRange;
using SdkByteRange = Amazon.S3.Model.ByteRange;

namespace DrOrchestrator.Storage.S3;

/// <summary>An <see cref="IObjectStore"/> on an S3 bucket (AWS or S3-compatible); see README.md.</summary>
public sealed class S3ObjectStore : IObjectStore, IContainerStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly S3TargetOptions _options;
    private readonly string _prefix;
    private readonly S3Uploader _uploader;

    private S3ObjectStore(AmazonS3Client client, S3TargetOptions options, ILogger logger, string? targetName)
    {
        _client = client;
        _options = options;
        _prefix = options.NormalizedPrefix;
        var endpoint = options.ServiceUrl is null ? "" : "@" + new Uri(options.ServiceUrl).Authority;
        Location = $"s3:{options.Bucket}/{_prefix}{endpoint}";
        Description = targetName ?? Location;
        _uploader = new S3Uploader(client, options, Description, logger);
        Capabilities = new ObjectStoreCapabilities(
            MaxObjectSize: (long)options.PartSizeMiB * 1024 * 1024 * S3Uploader.MaxParts,
            RecommendedConcurrency: 4,
            IsLocal: false);
    }

    public string Description { get; }

    public string Location { get; }

    public ObjectStoreCapabilities Capabilities { get; }

    /// <summary>Creates the store for validated options; throws <see cref="ArgumentException"/> naming the bad field(s).</summary>
    /// <param name="targetName">The configured target's name, which messages then use; null: the bucket's location.</param>
    public static S3ObjectStore Create(S3TargetOptions options, ILogger? logger = null, string? targetName = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid S3 target: " + string.Join(" ", errors), nameof(options));
        }

        return new S3ObjectStore(S3ClientFactory.Create(options), options, logger ?? NullLogger.Instance, targetName);
    }

    /// <summary>Creates the bucket unless it exists (`drorch target init`, tests).</summary>
    public Task EnsureBucketAsync(CancellationToken cancellationToken) => CreateContainerAsync(cancellationToken);

    /// <summary>Creates the bucket unless it exists; true when it was created now.</summary>
    public async Task<bool> CreateContainerAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _client.PutBucketAsync(new PutBucketRequest { BucketName = _options.Bucket }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
            // Already there: nothing to do.
            return false;
        }
        catch (Exception ex) when (S3Errors.IsSdkFailure(ex, cancellationToken))
        {
            throw S3Errors.Translate(ex, Description, key: null);
        }
    }

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var fullKey = FullKey(key);
        try
        {
            await _uploader.UploadAsync(fullKey, content, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (S3Errors.IsSdkFailure(ex, cancellationToken))
        {
            throw S3Errors.Translate(ex, Description, key);
        }
    }

    public async Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        var fullKey = FullKey(key);
        ObjectRanges.Validate(key, range);

        if (range is { Length: 0 })
        {
            return await ObjectRanges.EmptyIfExistsAsync(this, key, cancellationToken).ConfigureAwait(false);
        }

        var request = new GetObjectRequest { BucketName = _options.Bucket, Key = fullKey };
        if (range is { } wanted)
        {
            request.ByteRange = new SdkByteRange(wanted.Offset, ObjectRanges.LastByte(wanted));
        }

        try
        {
            var response = await _client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
            // The SDK checks a response's checksum (and the connection may fail) while the body is
            // read: those failures must name this store and key like any other.
            return new FailureTranslatingStream(response.ResponseStream,
                ex => S3Errors.IsSdkFailure(ex, CancellationToken.None), ex => S3Errors.Translate(ex, Description, key));
        }
        catch (Exception ex) when (S3Errors.IsRangeNotSatisfiable(ex))
        {
            // 416: the object exists but the range starts at or past its end → clamp to empty.
            return ObjectRanges.Empty();
        }
        catch (Exception ex) when (S3Errors.IsSdkFailure(ex, cancellationToken))
        {
            throw S3Errors.Translate(ex, Description, key);
        }
    }

    public async Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var fullKey = FullKey(key);
        try
        {
            var response = await _client.GetObjectMetadataAsync(_options.Bucket, fullKey, cancellationToken).ConfigureAwait(false);
            return new ObjectInfo(key, response.ContentLength, ToOffset(response.LastModified));
        }
        catch (Exception ex) when (S3Errors.IsNotFound(ex))
        {
            return null;
        }
        catch (Exception ex) when (S3Errors.IsSdkFailure(ex, cancellationToken))
        {
            throw S3Errors.Translate(ex, Description, key);
        }
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectKey.ValidatePrefix(prefix);
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = _prefix + prefix, MaxKeys = 1000 };
        do
        {
            ListObjectsV2Response page;
            try
            {
                page = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (S3Errors.IsSdkFailure(ex, cancellationToken))
            {
                throw S3Errors.Translate(ex, Description, key: null);
            }

            // SDK v4 leaves absent collections null.
            foreach (var item in page.S3Objects ?? [])
            {
                yield return new ObjectInfo(ListedKey.Parse(item.Key, _prefix, Description), item.Size ?? 0, ToOffset(item.LastModified));
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
        while (!string.IsNullOrEmpty(request.ContinuationToken));
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var fullKey = FullKey(key);
        try
        {
            await _client.DeleteObjectAsync(_options.Bucket, fullKey, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (S3Errors.IsNotFound(ex))
        {
            // Deleting a missing key succeeds (S3 itself answers 204; some compatibles 404).
        }
        catch (Exception ex) when (S3Errors.IsSdkFailure(ex, cancellationToken))
        {
            throw S3Errors.Translate(ex, Description, key);
        }
    }

    /// <summary>
    /// Deletes many keys with DeleteObjects (1,000 per request) — far cheaper than one request per
    /// key when pruning. Missing keys are not errors; any per-key failure throws after the batch.
    /// </summary>
    public async Task DeleteManyAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var batch in keys.Select(FullKey).Chunk(1000))
        {
            var request = new DeleteObjectsRequest
            {
                BucketName = _options.Bucket,
                Quiet = true,
                Objects = [.. batch.Select(k => new KeyVersion { Key = k })],
            };
            DeleteObjectsResponse response;
            try
            {
                response = await _client.DeleteObjectsAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (S3Errors.IsSdkFailure(ex, cancellationToken))
            {
                throw S3Errors.Translate(ex, Description, key: null);
            }

            if (response.DeleteErrors is { Count: > 0 } errors)
            {
                var first = errors[0];
                throw new ObjectStoreException(Description, first.Key[_prefix.Length..],
                    $"batch delete failed for {errors.Count} key(s), first: {first.Code} {first.Message}", isTransient: first.Code is "InternalError" or "SlowDown");
            }
        }
    }

    public void Dispose() => _client.Dispose();

    private string FullKey(string key)
    {
        ObjectKey.Validate(key);
        return _prefix + key;
    }

    private static DateTimeOffset? ToOffset(DateTime? value) =>
        value is { } v ? new DateTimeOffset(v.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(v, DateTimeKind.Utc) : v.ToUniversalTime()) : null;
}
