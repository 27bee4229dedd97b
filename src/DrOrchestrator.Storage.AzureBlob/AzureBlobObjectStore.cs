using System.Buffers;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Storage.AzureBlob;

/// <summary>An <see cref="IObjectStore"/> on an Azure Blob Storage container; see README.md.</summary>
public sealed class AzureBlobObjectStore : IObjectStore, IContainerStore
{
    private const int ListPageSize = 5000;

    private readonly BlobContainerClient _container;
    private readonly AzureBlobTargetOptions _options;
    private readonly string _prefix;

    private AzureBlobObjectStore(BlobContainerClient container, AzureBlobTargetOptions options, string? targetName)
    {
        _container = container;
        _options = options;
        _prefix = options.NormalizedPrefix;
        Location = $"azure:{container.AccountName}/{container.Name}/{_prefix}";
        Description = targetName ?? Location;
    }

    public string Description { get; }

    public string Location { get; }

    /// <summary>Block blobs hold up to 50,000 blocks.</summary>
    public ObjectStoreCapabilities Capabilities =>
        new(MaxObjectSize: (long)_options.BlockSizeMiB * 1024 * 1024 * 50_000, RecommendedConcurrency: 4, IsLocal: false);

    /// <summary>Creates the store for validated options; throws <see cref="ArgumentException"/> naming the bad field(s).</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="targetName">The configured target's name, which messages then use; null: the container's location.</param>
    public static AzureBlobObjectStore Create(AzureBlobTargetOptions options, string? targetName = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid Azure target: " + string.Join(" ", errors), nameof(options));
        }

        try
        {
            return new AzureBlobObjectStore(AzureClientFactory.Create(options), options, targetName);
        }
        catch (FormatException)
        {
            // The SDK's message may quote the value, which is a secret: name the variable instead.
            throw new ArgumentException(
                $"Invalid Azure target: ConnectionStringEnvironmentVariable: environment variable '{options.ConnectionStringEnvironmentVariable}' does not hold a valid connection string.",
                nameof(options));
        }
    }

    /// <summary>Creates the container unless it exists (`drorch target init`, tests).</summary>
    public Task EnsureContainerAsync(CancellationToken cancellationToken) => CreateContainerAsync(cancellationToken);

    /// <summary>Creates the container unless it exists; true when it was created now.</summary>
    public async Task<bool> CreateContainerAsync(CancellationToken cancellationToken)
    {
        try
        {
            var created = await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return created is not null;
        }
        catch (Exception ex) when (AzureErrors.IsSdkFailure(ex, cancellationToken))
        {
            throw AzureErrors.Translate(ex, Description, key: null);
        }
    }

    /// <summary>
    /// Seekable content up to <see cref="AzureBlobTargetOptions.SinglePutMaxMiB"/> (non-seekable: up
    /// to one block) goes up as one Put Blob; longer content as staged blocks committed by one Put
    /// Block List. Both are atomic; blocks of a cancelled upload stay uncommitted and Azure discards
    /// them. A non-seekable stream's first block is read ahead so that small objects are always
    /// single-shot (the SDK stages any stream of unknown length).
    /// </summary>
    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var blob = Blob(key);
        var blockSize = _options.BlockSizeMiB * 1024 * 1024;
        // A seekable stream's length is known, so the SDK decides single-shot versus staged by it
        // (length < threshold, hence the +1 for "up to"); a non-seekable one would be buffered up to
        // the threshold, so it keeps one block.
        var singleShot = content.CanSeek ? Math.Max(blockSize, _options.SinglePutMaxMiB * 1024L * 1024) + 1 : blockSize;
        var upload = UploadOptions(singleShot, blockSize);
        var head = content.CanSeek ? null : ArrayPool<byte>.Shared.Rent(blockSize);
        try
        {
            var source = content;
            if (head is not null)
            {
                var length = await content.ReadAtLeastAsync(head.AsMemory(0, blockSize), blockSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                source = length < blockSize
                    ? new MemoryStream(head, 0, length, writable: false)
                    : new ReplayedHeadStream(head.AsMemory(0, length), content);
            }

            await blob.UploadAsync(source, upload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (AzureErrors.IsSdkFailure(ex, cancellationToken))
        {
            throw AzureErrors.Translate(ex, Description, key);
        }
        finally
        {
            if (head is not null)
            {
                ArrayPool<byte>.Shared.Return(head);
            }
        }
    }

    public async Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        var blob = Blob(key);
        ObjectRanges.Validate(key, range);

        if (range is { Length: 0 })
        {
            return await ObjectRanges.EmptyIfExistsAsync(this, key, cancellationToken).ConfigureAwait(false);
        }

        // No transfer validation on download: range MD5 is limited to 4 MiB, and the repository
        // verifies every chunk by its own hash and authenticated encryption anyway.
        var download = new BlobDownloadOptions
        {
            Range = range is { } wanted ? new HttpRange(wanted.Offset, ObjectRanges.LastByte(wanted) - wanted.Offset + 1) : default,
            TransferValidation = new DownloadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.None, AutoValidateChecksum = false },
        };
        try
        {
            var response = await blob.DownloadStreamingAsync(download, cancellationToken).ConfigureAwait(false);
            // A connection failing while the body is read must name this store and key like any other failure.
            return new FailureTranslatingStream(response.Value.Content,
                ex => AzureErrors.IsSdkFailure(ex, CancellationToken.None), ex => AzureErrors.Translate(ex, Description, key));
        }
        catch (Exception ex) when (AzureErrors.IsRangeNotSatisfiable(ex))
        {
            // 416: the blob exists but the range starts at or past its end → clamp to empty.
            return ObjectRanges.Empty();
        }
        catch (Exception ex) when (AzureErrors.IsSdkFailure(ex, cancellationToken))
        {
            throw AzureErrors.Translate(ex, Description, key);
        }
    }

    public async Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var blob = Blob(key);
        try
        {
            var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            return new ObjectInfo(key, properties.ContentLength, properties.LastModified);
        }
        catch (Exception ex) when (AzureErrors.IsNotFound(ex))
        {
            return null;
        }
        catch (Exception ex) when (AzureErrors.IsSdkFailure(ex, cancellationToken))
        {
            throw AzureErrors.Translate(ex, Description, key);
        }
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectKey.ValidatePrefix(prefix);
        var pages = _container.GetBlobsAsync(new GetBlobsOptions { Prefix = _prefix + prefix }, cancellationToken)
            .AsPages(pageSizeHint: ListPageSize)
            .GetAsyncEnumerator(cancellationToken);
        await using (pages.ConfigureAwait(false))
        {
            while (await NextPageAsync(pages, cancellationToken).ConfigureAwait(false))
            {
                foreach (var item in pages.Current.Values)
                {
                    yield return new ObjectInfo(ListedKey.Parse(item.Name, _prefix, Description), item.Properties.ContentLength ?? 0, item.Properties.LastModified);
                }
            }
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var blob = Blob(key);
        try
        {
            await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (AzureErrors.IsSdkFailure(ex, cancellationToken))
        {
            throw AzureErrors.Translate(ex, Description, key);
        }
    }

    private async Task<bool> NextPageAsync(IAsyncEnumerator<Page<BlobItem>> pages, CancellationToken cancellationToken)
    {
        try
        {
            return await pages.MoveNextAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (AzureErrors.IsSdkFailure(ex, cancellationToken))
        {
            throw AzureErrors.Translate(ex, Description, key: null);
        }
    }

    private BlobUploadOptions UploadOptions(long singleShot, int blockSize)
    {
        var upload = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
            TransferOptions = new StorageTransferOptions
            {
                InitialTransferSize = singleShot,
                MaximumTransferSize = blockSize,
                MaximumConcurrency = _options.ParallelBlocks,
            },
            TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = UploadChecksum() },
        };
        if (_options.AccessTier is { } tier)
        {
            upload.AccessTier = new AccessTier(tier);
        }

        return upload;
    }

    private StorageChecksumAlgorithm UploadChecksum() => _options.UploadChecksum switch
    {
        "StorageCrc64" => StorageChecksumAlgorithm.StorageCrc64,
        "None" => StorageChecksumAlgorithm.None,
        _ => StorageChecksumAlgorithm.MD5,
    };

    private BlobClient Blob(string key)
    {
        ObjectKey.Validate(key);
        return _container.GetBlobClient(_prefix + key);
    }
}
