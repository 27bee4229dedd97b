using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Core.Replication;

/// <summary>The source objects the destination lacks (or holds with another size), by kind.</summary>
internal sealed record ReplicationPlan(
    IReadOnlyList<ObjectInfo> Keys,
    IReadOnlyList<ObjectInfo> Packs,
    IReadOnlyList<ObjectInfo> Indexes,
    IReadOnlyList<ObjectInfo> Snapshots,
    IReadOnlyList<string> SnapshotsPresent)
{
    /// <summary>
    /// Lists both stores and compares. The source is listed snapshots → indexes → keys → packs, in
    /// that order and not in parallel: the engine writes packs, then their index, then the snapshot,
    /// so every snapshot seen first has its indexes and packs in the later listings even when a
    /// backup runs on the source meanwhile (see README.md).
    /// </summary>
    public static async Task<ReplicationPlan> CreateAsync(IObjectStore source, IObjectStore destination, ILogger logger, CancellationToken ct)
    {
        var destinationListing = ListDestinationAsync(destination, ct);
        var snapshots = await source.ListAllAsync(ObjectKeys.SnapshotsPrefix, ct).ConfigureAwait(false);
        var indexes = await source.ListAllAsync(ObjectKeys.IndexPrefix, ct).ConfigureAwait(false);
        var keys = await source.ListAllAsync(ObjectKeys.KeysPrefix, ct).ConfigureAwait(false);
        var packs = await source.ListAllAsync(ObjectKeys.DataPrefix, ct).ConfigureAwait(false);
        var present = await destinationListing.ConfigureAwait(false);

        var validPacks = new List<ObjectInfo>(packs.Count);
        foreach (var pack in packs)
        {
            if (IsPackKey(pack.Key))
            {
                validPacks.Add(pack);
            }
            else
            {
                Log.NotAPack(logger, source.Description, pack.Key);
            }
        }

        return new ReplicationPlan(
            Missing(keys, present),
            Missing(validPacks, present),
            Missing(indexes, present),
            Missing(snapshots, present),
            [.. snapshots.Where(s => IsPresent(s, present)).Select(s => SnapshotId(s.Key)).Order(StringComparer.Ordinal)]);
    }

    /// <summary>The id part of a <c>snapshots/&lt;id&gt;</c> key.</summary>
    public static string SnapshotId(string key) => key[ObjectKeys.SnapshotsPrefix.Length..];

    /// <summary>
    /// The SHA-256 an object's bytes must have when its key names it (packs, indexes, key files all
    /// end in the hex SHA-256 of their content); null for snapshots and anything else.
    /// </summary>
    public static byte[]? ExpectedSha256(string key)
    {
        var contentAddressed = key.StartsWith(ObjectKeys.DataPrefix, StringComparison.Ordinal)
            || key.StartsWith(ObjectKeys.IndexPrefix, StringComparison.Ordinal)
            || key.StartsWith(ObjectKeys.KeysPrefix, StringComparison.Ordinal);
        return contentAddressed && BlobId.TryParse(key[(key.LastIndexOf('/') + 1)..], out var id) ? id.ToBytes() : null;
    }

    private static bool IsPackKey(string key) =>
        ObjectKeys.TryParsePack(key, out var id) && string.Equals(ObjectKeys.Pack(id), key, StringComparison.Ordinal);

    private static async Task<Dictionary<string, long>> ListDestinationAsync(IObjectStore destination, CancellationToken ct)
    {
        var present = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var prefix in (string[])[ObjectKeys.KeysPrefix, ObjectKeys.DataPrefix, ObjectKeys.IndexPrefix, ObjectKeys.SnapshotsPrefix])
        {
            foreach (var o in await destination.ListAllAsync(prefix, ct).ConfigureAwait(false))
            {
                present[o.Key] = o.Size;
            }
        }

        return present;
    }

    private static bool IsPresent(ObjectInfo o, Dictionary<string, long> present) =>
        present.TryGetValue(o.Key, out var size) && size == o.Size;

    // Sorted so runs are reproducible and logs comparable between runs.
    private static List<ObjectInfo> Missing(List<ObjectInfo> source, Dictionary<string, long> present) =>
        [.. source.Where(o => !IsPresent(o, present)).OrderBy(o => o.Key, StringComparer.Ordinal)];
}
