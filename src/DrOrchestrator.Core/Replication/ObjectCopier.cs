using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Composite;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Core.Replication;

/// <summary>
/// Copies raw objects from one store to another, each through a temp file while hashing, so a
/// content-addressed object (pack, index, key file) is written only when its bytes match its name
/// and a pack is never held in memory. A failed object becomes an error line, never an exception;
/// only cancellation escapes. Thread-safe; counts bytes written.
/// </summary>
internal sealed class ObjectCopier(IObjectStore source, IObjectStore destination, int maxConcurrency, ILogger logger)
{
    private readonly List<(string Key, string Error, bool Mismatch)> _errors = [];
    private long _bytesCopied;

    public long BytesCopied => Interlocked.Read(ref _bytesCopied);

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors.Select(e => e.Error)];
            }
        }
    }

    /// <summary>Keys whose source bytes did not match the SHA-256 their name carries (damaged at the source, or in transit).</summary>
    public IReadOnlyList<string> MismatchedKeys
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors.Where(e => e.Mismatch).Select(e => e.Key)];
            }
        }
    }

    /// <summary>Takes the failures of <paramref name="keys"/> off the error list; returns their lines.</summary>
    public IReadOnlyList<string> Withdraw(IReadOnlySet<string> keys)
    {
        lock (_errors)
        {
            var withdrawn = _errors.Where(e => keys.Contains(e.Key)).Select(e => e.Error).ToList();
            _errors.RemoveAll(e => keys.Contains(e.Key));
            return withdrawn;
        }
    }

    /// <summary>Counts bytes written to the destination outside this copier (the config).</summary>
    public void AddBytesCopied(long bytes) => Interlocked.Add(ref _bytesCopied, bytes);

    /// <summary>Copies every object, <paramref name="maxConcurrency"/> at a time; returns the keys that arrived.</summary>
    public async Task<IReadOnlyList<string>> CopyAllAsync(IReadOnlyList<ObjectInfo> objects, Action<ObjectInfo, long>? onDone, CancellationToken ct)
    {
        var copied = new List<string>(objects.Count);
        var options = new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = maxConcurrency };
        await Parallel.ForEachAsync(objects, options, async (o, token) =>
        {
            var bytes = await CopyAsync(o.Key, token).ConfigureAwait(false);
            if (bytes >= 0)
            {
                lock (copied)
                {
                    copied.Add(o.Key);
                }
            }

            onDone?.Invoke(o, Math.Max(bytes, 0));
        }).ConfigureAwait(false);
        return copied;
    }

    /// <summary>Copies one object; returns its length, or -1 after recording why it failed.</summary>
    public async Task<long> CopyAsync(string key, CancellationToken ct)
    {
        try
        {
            var download = await TempSpool.DownloadAsync(source, key, ReplicationPlan.ExpectedSha256(key), ct).ConfigureAwait(false);
            if (download.Content is not { } file)
            {
                return Fail(key, $"{source.Description}: {key}: {download.Mismatch}; not copied", mismatch: true);
            }

            await using (file.ConfigureAwait(false))
            {
                await destination.PutAsync(key, file, ct).ConfigureAwait(false);
            }

            Interlocked.Add(ref _bytesCopied, download.Length);
            return download.Length;
        }
        catch (ObjectStoreException e)
        {
            // Its message already names the store and the key.
            return Fail(key, e.Message);
        }
        catch (IOException e)
        {
            return Fail(key, $"{key}: temporary file: {e.Message}");
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            // A store's own timeout, not our cancellation: a failed object like any other.
            return Fail(key, $"{key}: timed out: {e.Message}");
        }
    }

    private long Fail(string key, string error, bool mismatch = false)
    {
        Log.CopyFailed(logger, key, destination.Description, error);
        lock (_errors)
        {
            _errors.Add((key, error, mismatch));
        }

        return -1;
    }
}
