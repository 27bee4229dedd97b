namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>
/// The little the composite stores know about repository keys: <c>data/&lt;2 hex&gt;/&lt;64 hex&gt;</c>
/// objects are packs named by the SHA-256 of their bytes; every other key is metadata.
/// </summary>
internal static class RepositoryKeys
{
    public const string PackPrefix = "data/";

    public const string SnapshotPrefix = "snapshots/";

    /// <summary>
    /// True for snapshot objects: the commit of a backup run, so a composite that fails to write
    /// one on the members it must reach withdraws it from the members that took it.
    /// </summary>
    public static bool IsSnapshot(string key) => key.StartsWith(SnapshotPrefix, StringComparison.Ordinal);

    /// <summary>
    /// True for objects whose key only ever names one content: packs, indexes and key files are named
    /// by the SHA-256 of their bytes, a snapshot by an id made once for it. Writing such an object
    /// twice writes the same bytes, and a late duplicate write cannot replace newer content, so a
    /// put may be sent twice (hedged) and a read may be resumed by range from a second request.
    /// The config (rewritten by `target init` and replication) and deletion marks are not.
    /// </summary>
    public static bool IsWriteOnce(string key) =>
        key.StartsWith(PackPrefix, StringComparison.Ordinal)
        || key.StartsWith(SnapshotPrefix, StringComparison.Ordinal)
        || key.StartsWith("index/", StringComparison.Ordinal)
        || key.StartsWith("keys/", StringComparison.Ordinal);

    /// <summary>True for pack objects, the only ones a pool spreads instead of copying everywhere.</summary>
    public static bool IsPack(string key) => key.StartsWith(PackPrefix, StringComparison.Ordinal);

    /// <summary>
    /// The SHA-256 a pack's bytes must have: its key's last segment when that is 64 hex digits.
    /// Keys of any other shape cannot be verified and return false.
    /// </summary>
    public static bool TryGetPackHash(string key, out byte[] sha256)
    {
        sha256 = [];
        if (!IsPack(key))
        {
            return false;
        }

        var name = key.AsSpan(key.LastIndexOf('/') + 1);
        if (name.Length != 64 || !IsHex(name))
        {
            return false;
        }

        sha256 = Convert.FromHexString(name);
        return true;
    }

    private static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
