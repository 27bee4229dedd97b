namespace DrOrchestrator.Core.Repository;

/// <summary>The repository's object keys (see FORMAT.md). One place, so the layout is greppable.</summary>
internal static class ObjectKeys
{
    public const string Config = "config";
    public const string KeysPrefix = "keys/";
    public const string IndexPrefix = "index/";
    public const string SnapshotsPrefix = "snapshots/";
    public const string DataPrefix = "data/";
    public const string DeletionsPrefix = "deletions/";

    public static string Pack(BlobId id)
    {
        var hex = id.ToString();
        return $"{DataPrefix}{hex[..2]}/{hex}";
    }

    public static string Index(BlobId id) => IndexPrefix + id;

    public static string Snapshot(string id) => SnapshotsPrefix + id;

    public static string Key(string id) => KeysPrefix + id;

    public static string Deletion(string id) => DeletionsPrefix + id;

    /// <summary>The id part of a "data/xx/&lt;id&gt;" key, or false for anything else.</summary>
    public static bool TryParsePack(string key, out BlobId id)
    {
        id = default;
        var slash = key.LastIndexOf('/');
        return key.StartsWith(DataPrefix, StringComparison.Ordinal) && BlobId.TryParse(key[(slash + 1)..], out id);
    }
}
