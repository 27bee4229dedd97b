using System.Runtime.CompilerServices;

namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>Runs one operation on several stores in parallel and collects who failed and why.</summary>
internal static class StoreFanOut
{
    /// <summary>
    /// Runs <paramref name="operation"/> on every target concurrently. Failures are collected, not
    /// thrown; cancellation of <paramref name="cancellationToken"/> is rethrown.
    /// </summary>
    public static async Task<IReadOnlyList<StoreFailure<T>>> RunAsync<T>(
        IReadOnlyList<T> targets, Func<T, Task> operation, CancellationToken cancellationToken)
    {
        var failures = new StoreFailure<T>?[targets.Count];
        var tasks = new Task[targets.Count];
        for (var i = 0; i < targets.Count; i++)
        {
            var index = i;
            tasks[i] = Task.Run(async () =>
            {
                try
                {
                    await operation(targets[index]).ConfigureAwait(false);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
                {
                    failures[index] = new StoreFailure<T>(targets[index], ex);
                }
            }, CancellationToken.None);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return failures.Where(f => f is not null).Select(f => f!.Value).ToArray();
    }

    /// <summary>
    /// The store's listing, ending early (instead of throwing) when the store fails; the failure
    /// goes to <paramref name="failed"/>. Lets a composite continue with its other stores.
    /// </summary>
    public static async IAsyncEnumerable<ObjectInfo> ListUntilFailureAsync(
        IObjectStore store, string prefix, Action<ObjectStoreException> failed, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var listing = store.ListAsync(prefix, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (listing.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await listing.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }
                }
                catch (ObjectStoreException ex)
                {
                    failed(ex);
                    yield break;
                }

                yield return listing.Current;
            }
        }
    }

    /// <summary>
    /// After a snapshot put failed on the policy's terms: deletes it from the stores that took it,
    /// so no target shows a snapshot of a failed run. Best effort — a store that cannot delete it
    /// now is left for check and prune to find (its packs are all there: it is readable).
    /// </summary>
    public static async Task WithdrawSnapshotAsync(string key, IEnumerable<IObjectStore> tookIt)
    {
        foreach (var store in tookIt)
        {
            try
            {
                await store.DeleteAsync(key, CancellationToken.None).ConfigureAwait(false);
            }
            catch (ObjectStoreException)
            {
                // Reported by the put's own failure; nothing more can be done here.
            }
        }
    }

    /// <summary>One line naming the store and the error, without repeating the store when the message already starts with it.</summary>
    public static string Describe(string store, Exception error) =>
        error is ObjectStoreException ose && ose.Store == store ? error.Message : $"{store}: {error.Message}";

    /// <summary>True when every failure may go away on retry (so the combined error is transient too).</summary>
    public static bool AllTransient(IEnumerable<Exception> errors) =>
        errors.All(e => e is ObjectStoreException { IsTransient: true } or TimeoutException);
}

/// <summary>A target that failed, with its error.</summary>
internal readonly record struct StoreFailure<T>(T Target, Exception Error);
